/**
 * The per-kind codecs: each qdisc, class, filter and action kind registers how its options
 * are written into TCA_OPTIONS and read back. Kinds nobody registered travel as raw bytes.
 */
import { checkKeys } from '../../core/options';
import type { MessageWriter } from '../../wire/message-writer';
import type { LinkField } from '../request/prepare';

/** What an encoder may need beyond its options. */
export interface EncodeContext {
  /** Links named by name (mirred targets …) whose ifindexes are patched in before sending. */
  links: LinkField[];
  /** The object's own handle (htb's default class is written relative to it). */
  handle: number;
}

/** What a decoder may need beyond the bytes. */
export interface DecodeContext {
  handle: number;
  isClass: boolean;
}

/** How one kind's options travel. */
export interface KindCodec {
  /** Writes the complete TCA_OPTIONS attribute (or nothing) for `opts` (undefined: defaults). */
  encode(w: MessageWriter, opts: any, field: string, ctx: EncodeContext): void;
  /** Reads the payload of TCA_OPTIONS into the typed options object. */
  decode(buf: Buffer, off: number, len: number, ctx: DecodeContext): Record<string, unknown>;
  /** The kind cannot be created without options (ValidationError when they are missing). */
  required?: boolean;
}

/** Writes TCA_OPTIONS as a nest around `body`. */
export function nestOptions(w: MessageWriter, type: number, field: string, body: () => void): void {
  w.nestStart(type, field);
  body();
  w.nestEnd();
}

/** A kind without options (ingress, clsact, noqueue, mq …). */
export const NO_OPTIONS: KindCodec = {
  encode(_w, opts, field) {
    checkKeys(opts, [], field);
  },
  decode: () => ({}),
};
