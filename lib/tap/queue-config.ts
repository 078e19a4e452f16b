/**
 * The fd ioctls every fresh queue gets: vnet header size, offloads, send buffer. They act on
 * the fd, so they run on the calling thread whatever namespace the device is in.
 */
import { nativeTap, TUN_F } from './native-tap';
import type { ResolvedCommon } from './tap-options';

/**
 * Configures a fresh queue and returns the offload bits the kernel took: USO is dropped on
 * kernels that lack it (EINVAL), everything else must stick.
 *
 * `alwaysSetOffloads`: also set offloads (to 0) without a vnet header. TUN/TAP needs that
 * when attaching to a device someone configured before, since a reader without the header
 * cannot be handed partial or GSO frames. macvtap segments for such readers by itself.
 *
 * Equivalent to the ioctls TUNSETVNETHDRSZ, TUNSETOFFLOAD, TUNSETSNDBUF.
 */
export function configureQueue(fd: number, common: ResolvedCommon, bits: number, alwaysSetOffloads: boolean): number {
  const t = nativeTap();
  if (common.vnetHdrSize > 0) t.tapIoctl(fd, 'TUNSETVNETHDRSZ', common.vnetHdrSize);
  if (common.vnetHdrSize > 0 || alwaysSetOffloads) {
    try {
      t.tapIoctl(fd, 'TUNSETOFFLOAD', bits);
    } catch (err) {
      const uso = TUN_F.USO4 | TUN_F.USO6;
      if ((err as { code?: string }).code !== 'EINVAL' || (bits & uso) === 0) throw err;
      bits &= ~uso;
      t.tapIoctl(fd, 'TUNSETOFFLOAD', bits);
    }
  }
  if (common.sndbuf !== undefined) t.tapIoctl(fd, 'TUNSETSNDBUF', common.sndbuf);
  return bits;
}
