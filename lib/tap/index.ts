/**
 * The TUN/TAP/macvtap area, as the package root re-exports it: `nl.tap`, `nl.macvtap`, the
 * Tap and FrameBatch classes and their types.
 */
export * as tap from './tap';
export * as macvtap from './macvtap';
export { Tap, type TapStats, type TapKind } from './tap-device';
export { FrameBatch, type PacketInfo } from './frame-batch';
export type { TapOptions } from './tap';
export type { MacvtapOptions } from './macvtap';
export type { TapStreamOptions } from './stream';
export type { Offload, PumpOptions, CommonTapOptions } from './tap-options';
export { readVnetHeader, encodeVnetHeader, type VnetHeader, type GsoType } from './vnet-header';
