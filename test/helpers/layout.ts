// What a person would see as broken in a page's layout, measured in the browser: the page wider than the
// screen, something sticking out of the screen or out of its own box, and things drawn over each other.
// Compared are the boxes of what is drawn: each line of text (its text node's line boxes), each list item's
// number (left of its box, measured), each control, image, canvas and video, and each empty element with a
// size (a bar, a swatch); clipped by the scrolling boxes around them. An element marked data-layer="overlay"
// is drawn over another on purpose. A box that scrolls sideways counts as overflowing: its content does not fit.
import type { Page } from 'playwright-core';

/** A problem, in words naming the elements (tag#id.class "text…") and the pixels. */
export type LayoutProblem = string;

export function layoutProblems(page: Page): Promise<LayoutProblem[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const vw = document.documentElement.clientWidth;
    const name = (n: Node): string => {
      const el = n instanceof Element ? n : n.parentElement!;
      const id = el.id ? `#${el.id}` : '';
      const cls =
        typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
      const text = (n.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 30);
      return `${el.tagName.toLowerCase()}${id}${cls}${text ? ` "${text}"` : ''}`;
    };
    const px = (v: number) => Math.round(v);

    const overflow = document.documentElement.scrollWidth - vw;
    if (overflow > 0) problems.push(`the page is ${overflow} px wider than the screen (${vw} px)`);

    const visible = (el: Element): boolean => {
      for (let e: Element | null = el; e; e = e.parentElement) {
        const s = getComputedStyle(e);
        if (s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) === 0) return false;
      }
      return true;
    };
    /** The part of a box left inside its scrolling and clipping ancestors; null when none is. */
    const clip = (r: DOMRect, el: Element): DOMRect | null => {
      let [l, t, rt, b] = [r.left, r.top, r.right, r.bottom];
      for (let e = el.parentElement; e && e !== document.documentElement; e = e.parentElement) {
        const s = getComputedStyle(e);
        if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
        const c = e.getBoundingClientRect();
        [l, t, rt, b] = [Math.max(l, c.left), Math.max(t, c.top), Math.min(rt, c.right), Math.min(b, c.bottom)];
      }
      return rt - l > 0.5 && b - t > 0.5 ? new DOMRect(l, t, rt - l, b - t) : null;
    };

    // Boxes of what is drawn.
    const REPLACED = new Set(['CANVAS', 'IMG', 'VIDEO', 'INPUT', 'SELECT', 'BUTTON', 'TEXTAREA', 'svg']);
    const INSIDE_CONTROL = 'select, button, datalist, option, svg, textarea';
    interface Box {
      node: Node;
      rect: DOMRect;
      /** A list item's number: its words. */
      marker?: string;
    }
    const boxes: Box[] = [];
    const measure = document.createElement('canvas').getContext('2d')!;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n instanceof Text) {
        const el = n.parentElement!;
        if (!n.data.trim() || el.closest(INSIDE_CONTROL) || !visible(el)) continue;
        const range = document.createRange();
        range.selectNodeContents(n);
        for (const r of range.getClientRects()) {
          const c = clip(r, el);
          if (c) boxes.push({ node: n, rect: c });
        }
        continue;
      }
      const el = n as Element;
      if (el.parentElement?.closest(INSIDE_CONTROL) || !visible(el)) continue;
      const s = getComputedStyle(el);
      if (s.display === 'list-item' && s.listStyleType !== 'none' && s.listStylePosition === 'outside') {
        // The item's number, drawn left of its box: as wide as "n. " in the item's font, one line high.
        measure.font = s.font;
        const index = [...el.parentElement!.children].indexOf(el) + 1;
        const width = measure.measureText(`${index}. `).width;
        const r = el.getBoundingClientRect();
        const line = Number.parseFloat(s.lineHeight) || Number.parseFloat(s.fontSize) * 1.2;
        const c = clip(new DOMRect(r.left - width, r.top, width, line), el);
        if (c) boxes.push({ node: el, rect: c, marker: `${name(el)}::marker "${index}."` });
      }
      const empty = el.childElementCount === 0 && !(el.textContent ?? '').trim();
      if (!REPLACED.has(el.tagName) && !empty) continue;
      const r = el.getBoundingClientRect();
      const c = r.width > 0 && r.height > 0 ? clip(r, el) : null;
      if (c) boxes.push({ node: el, rect: c });
    }
    const label = (b: Box) => b.marker ?? name(b.node);

    // Out of the screen, sideways.
    for (const b of boxes) {
      if (b.rect.right > vw + 0.5 || b.rect.left < -0.5)
        problems.push(`${label(b)} reaches ${px(b.rect.left)}..${px(b.rect.right)} px, the screen is ${vw} px wide`);
    }

    // Out of its own box: content wider than an element that does not clip it (or that scrolls sideways).
    for (const el of document.body.querySelectorAll('*')) {
      if (el.closest(INSIDE_CONTROL) || REPLACED.has(el.tagName) || !visible(el)) continue;
      const s = getComputedStyle(el);
      if (s.display === 'inline' || s.overflowX === 'hidden' || s.overflowX === 'clip') continue;
      const over = el.scrollWidth - el.clientWidth;
      if (el.clientWidth > 0 && over > 1) {
        const scrolls = s.overflowX === 'visible' ? '' : ', it scrolls sideways';
        problems.push(`${name(el)}: its content is ${over} px wider than its box (${el.clientWidth} px${scrolls})`);
      }
    }

    // Drawn over each other: two boxes sharing more than 2 px each way, neither inside the other, no overlay.
    // An item's number is compared with its own item's text too (they are side by side, not nested).
    const overlay = (n: Node) => (n instanceof Element ? n : n.parentElement!).closest('[data-layer="overlay"]');
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        if (a.node === b.node || overlay(a.node) || overlay(b.node)) continue;
        const nested = a.node.contains(b.node) || b.node.contains(a.node);
        if (nested && !a.marker && !b.marker) continue;
        const w = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left);
        const h = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top);
        if (w > 2 && h > 2) {
          const at = `(${px(Math.max(a.rect.left, b.rect.left))}, ${px(Math.max(a.rect.top, b.rect.top))})`;
          problems.push(`${label(a)} and ${label(b)} overlap by ${px(w)} x ${px(h)} px at ${at}`);
        }
      }
    }
    return problems;
  });
}
