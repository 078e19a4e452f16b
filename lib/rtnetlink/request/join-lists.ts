/**
 * Joining the results of per-family dumps (IPv4 then IPv6) for list calls.
 */

/**
 * The lists one after another in one array. A list call dumps each family on its own, and one
 * family usually holds nearly everything (100 000 IPv4 routes, a handful of IPv6 ones): the
 * short lists are appended to the first long one in place (the dumps' arrays are the
 * caller's own), rather than every element copied into a new array.
 */
export function joinLists<T>(lists: readonly T[][]): T[] {
  let first = -1;
  for (let i = 0; i < lists.length; i++) {
    if (lists[i]!.length === 0) continue;
    if (first < 0) first = i;
    else break;
  }
  if (first < 0) return [];
  const head = lists[first]!;
  let rest = 0;
  for (let i = first + 1; i < lists.length; i++) rest += lists[i]!.length;
  if (rest === 0) return head;
  if (rest > head.length) return ([] as T[]).concat(...lists);
  for (let i = first + 1; i < lists.length; i++) for (const x of lists[i]!) head.push(x);
  return head;
}
