// A model's training curves and confusion matrix beside its card (GET /v1/models/{name}/plots: the SVG files
// beside the model's file). Each is shown as an image of a blob: URL (an image runs no script; the API call
// carries the token, which an <img src> could not), and links to itself at full size.
import { type ModelInfo, modelPlots } from './api.js';

const TITLES: Record<string, string> = {
  curves: 'Training curves: loss and the evaluated accuracy at each evaluation',
  confusion: 'Confusion matrix on the held-out set: rows the true class, columns the predicted one',
};

export class PlotsView {
  private urls: string[] = [];
  /** Counts the models shown: an answer for an earlier one is dropped. */
  private shown = 0;

  constructor(private readonly root: HTMLElement) {}

  private clear(): void {
    for (const u of this.urls) URL.revokeObjectURL(u);
    this.urls = [];
  }

  private note(text: string): void {
    const p = document.createElement('p');
    p.className = 'muted small';
    p.textContent = text;
    this.root.replaceChildren(p);
  }

  async show(m: ModelInfo): Promise<void> {
    const mine = ++this.shown;
    this.note('Loading the plots…');
    let plots: Awaited<ReturnType<typeof modelPlots>>['plots'];
    try {
      plots = (await modelPlots(m.name)).plots;
    } catch (e) {
      if (mine === this.shown) this.note(`No plots: ${(e as Error).message}`);
      return;
    }
    if (mine !== this.shown) return;
    this.clear();
    if (plots.length === 0) {
      this.note(
        `${m.name} has no plots beside its file: indrnn export copies a run's curves.svg and confusion.svg there (docs/ui.md).`,
      );
      return;
    }
    this.root.replaceChildren(
      ...plots.map((p) => {
        const figure = document.createElement('figure');
        figure.className = 'plot';
        figure.dataset.kind = p.kind;
        const caption = document.createElement('figcaption');
        caption.textContent = `${TITLES[p.kind] ?? p.kind} (${p.file})`;
        if (p.svg === null) {
          const why = document.createElement('p');
          why.className = 'muted small';
          why.textContent = p.problem ?? 'not shown';
          figure.append(why, caption);
          return figure;
        }
        const url = URL.createObjectURL(new Blob([p.svg], { type: 'image/svg+xml' }));
        this.urls.push(url);
        const link = document.createElement('a');
        link.href = url;
        link.target = '_blank';
        link.rel = 'noopener';
        link.title = 'Open at full size';
        const img = document.createElement('img');
        img.src = url;
        img.alt = TITLES[p.kind] ?? p.kind;
        link.append(img);
        figure.append(link, caption);
        return figure;
      }),
    );
  }
}
