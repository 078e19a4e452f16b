/**
 * Connection tracking over ctnetlink: `nl.conntrack.open({ netns })` → Conntrack, with
 * list / get / delete / flush / events (conntrack -L / -G / -D / -F / -E).
 */
export { open, openConntrack, conntrack, Conntrack, type ConntrackOpenOptions, type ConntrackRequestOptions, type ConntrackEventsOptions } from './conntrack';
export { ConntrackEventStream, type ConntrackEvent } from './conntrack-events';
export type {
  ConntrackEntry, ConntrackTuple, ConntrackCounters, ConntrackFamily, ConntrackEventType,
} from './conntrack-decode';
export type { ConntrackFilter, ConntrackTupleFilter, ConntrackTupleSpec, ConntrackFamilyInput } from './conntrack-request';
