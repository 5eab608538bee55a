import type { Target } from '../pipeline/target.js';

/**
 * Orders targets by weighted random sampling without replacement: the first is picked with
 * probability weight/total, the next among the rest, and so on. Zero-weight targets go last.
 */
export function weightedOrder(targets: readonly Target[], random: () => number = Math.random): Target[] {
  if (targets.length <= 1) return [...targets];
  const pool = targets.filter((target) => target.weight > 0);
  const zero = targets.filter((target) => target.weight <= 0);
  const ordered: Target[] = [];
  let total = pool.reduce((sum, target) => sum + target.weight, 0);
  while (pool.length > 0) {
    let point = random() * total;
    let index = 0;
    for (; index < pool.length - 1; index++) {
      point -= pool[index]!.weight;
      if (point < 0) break;
    }
    const [picked] = pool.splice(index, 1);
    ordered.push(picked!);
    total -= picked!.weight;
  }
  return ordered.concat(zero);
}
