/** The userspace switch area, as the package root re-exports it. */
export { L2Switch, SwitchPort, type L2SwitchOptions, type PortOptions, type PortStats, type L2SwitchStats, type SwitchDrops, type SwitchDevice } from './l2-switch';
export type { FdbEntry } from './fdb';
