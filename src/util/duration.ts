// Durations as people read them, with their units: "0.4 s", "42 s", "2 min 31 s", "1 h 02 min".

/** Seconds as text: tenths under 10 s, whole seconds under a minute, then minutes and seconds, then hours. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '-';
  if (sec < 9.95) return `${sec.toFixed(1)} s`;
  const s = Math.round(sec);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = Math.round(sec / 60);
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
