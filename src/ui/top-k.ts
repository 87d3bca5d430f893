// The top classes of a prediction as bars with their percentages (the live page, the camera page).
import { labelColour } from './timeline.js';

export interface Scored {
  label: string;
  probability: number;
  /** The class index, for its colour (the timeline's); absent: the list's order. */
  index?: number;
}

export const percent = (p: number) => `${(100 * p).toFixed(1)} %`;

/** Fills `list` (an <ol class="bars">) with one item per class: its name, its percentage, a bar. */
export function renderTopK(list: HTMLOListElement, topK: readonly Scored[]): void {
  list.replaceChildren(
    ...topK.map((s, i) => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = s.label;
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.setProperty('--p', String(s.probability));
      bar.style.setProperty('--c', labelColour(s.index ?? i));
      const val = document.createElement('span');
      val.className = 'val';
      val.textContent = percent(s.probability);
      li.append(name, bar, val);
      return li;
    }),
  );
}
