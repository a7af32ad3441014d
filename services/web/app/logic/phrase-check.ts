/** Onboarding: after the phrase is shown once, the person types three of its words back. */
export function pickWordPositions(count: number, random: () => number = Math.random): number[] {
  const picked = new Set<number>();
  while (picked.size < Math.min(3, count)) picked.add(Math.floor(random() * count));
  return [...picked].sort((a, b) => a - b);
}

export function wordsMatch(
  phrase: string,
  positions: readonly number[],
  answers: readonly string[],
): boolean {
  const words = phrase.trim().split(/\s+/);
  return positions.every((p, i) => (answers[i] ?? '').trim().toLowerCase() === words[p]);
}
