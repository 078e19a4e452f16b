/**
 * nftables over nfnetlink: `nft.open({ netns })` → Nft (apply / list / monitor / generation),
 * speaking the libnftables JSON schema that `nft -j` prints and reads.
 */
export { nft, openNft, Nft, decodeNftEvent, METAINFO } from './nft';
export type { NftDocument, NftOpenOptions, NftApplyOptions, NftApplyResult, NftAddedObject, NftListFilter, NftEvent } from './nft';
export { TransactionError, GenerationChangedError } from '../batch';
export type { TransactionFailure } from '../batch';
