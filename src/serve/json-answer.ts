// The text of every JSON answer: compact JSON and a newline, so that an answer printed to a terminal
// (curl) ends its line and the next output starts on its own. One place for res.json, the predict route's
// direct write, answers sent before an unread body and refused stream upgrades.
import type { Express, Response } from 'express';

export function jsonText(body: unknown): string {
  return `${JSON.stringify(body)}\n`;
}

/** This app's res.json writes jsonText (express's own writes the JSON alone); status and headers as before. */
export function jsonAnswersEndWithNewline(app: Express): void {
  app.response.json = function json(this: Response, body: unknown) {
    if (!this.get('Content-Type')) this.set('Content-Type', 'application/json');
    return this.send(body === undefined ? '' : jsonText(body));
  };
}
