/**
 * Kind 'dummy': a device that drops everything it is given; no options.
 * `rt.link.add({ name: 'd0', kind: 'dummy' })`
 */
import { defineKind } from './kind-codec';

defineKind({ kind: 'dummy' });
