/**
 * Removes Orchestra's own hidden comments (`<!-- orchestra:… -->`) from text handed to a model
 * or an agent: they are state for the app, not words for them, and would only tempt imitation.
 */
export function stripOrchestraMarkers(text: string): string {
  // Repeated until nothing changes: removing one marker can join the halves of another.
  let previous: string;
  let current = text;
  do {
    previous = current;
    current = current.replace(/<!--\s*orchestra:[\s\S]*?-->/g, "");
  } while (current !== previous);
  return current;
}
