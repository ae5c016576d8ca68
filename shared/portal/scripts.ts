/**
 * The portal pages' inline scripts. Each is a constant (no data is ever interpolated: they read
 * what they need from the DOM), so its CSP hash is fixed and the page needs no 'unsafe-inline'.
 * Every page works without them: times show in UTC, every role row shows, values can be selected
 * by hand.
 */

/**
 * `<time data-local datetime="…">` → the person's local time (with the weekday when it is not
 * today); `[data-until="ISO"]` → the time left until then, refreshed every 30 s.
 */
export const LOCAL_TIME_SCRIPT = `(() => {
  const d = document;
  for (const t of d.querySelectorAll('time[data-local]')) {
    const at = new Date(t.dateTime);
    if (Number.isNaN(at.getTime())) continue;
    const today = at.toDateString() === new Date().toDateString();
    t.textContent = today
      ? at.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' })
      : at.toLocaleString([], { weekday: 'short', hour: 'numeric', minute: '2-digit' });
    t.title = at.toLocaleString();
  }
  const left = (s) => {
    if (s <= 0) return 'no time';
    if (s < 60) return 'less than a minute';
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return h ? (m ? h + ' h ' + m + ' min' : h + ' h') : m + ' min';
  };
  const tick = () => {
    for (const el of d.querySelectorAll('[data-until]')) {
      const end = Date.parse(el.dataset.until);
      if (!Number.isNaN(end)) el.textContent = left(Math.floor((end - Date.now()) / 1000));
    }
  };
  tick();
  setInterval(tick, 30000);
})();`;

/**
 * The portal's filter box: shown only when this script runs; hides the role rows whose
 * `data-filter` text does not contain every word typed, and the sections left empty.
 */
export const FILTER_SCRIPT = `(() => {
  const d = document;
  const box = d.getElementById('filter');
  if (!box) return;
  box.closest('.filter').hidden = false;
  const rows = [...d.querySelectorAll('li.role[data-filter]')];
  const groups = [...d.querySelectorAll('[data-group]')];
  const status = d.getElementById('filter-status');
  const total = d.querySelectorAll('[data-group="account"] li.role').length;
  const apply = () => {
    const words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    for (const r of rows) r.hidden = !words.every((w) => r.dataset.filter.includes(w));
    for (const g of groups) g.hidden = !g.querySelector('li.role:not([hidden])');
    const shown = d.querySelectorAll('[data-group="account"] li.role:not([hidden])').length;
    status.textContent = !words.length ? '' : shown
      ? shown + ' of ' + total + (total === 1 ? ' role' : ' roles') + ' shown.'
      : 'No role matches.';
  };
  box.addEventListener('input', apply);
  apply();
})();`;

/**
 * Copy buttons (`button[data-copy="<id>"]`, hidden until this script shows them): put the text
 * of the element with that id on the clipboard and say so in the live region `#copy-status`; if
 * the clipboard refuses, select the text so the person can copy it themselves.
 */
export const COPY_SCRIPT = `(() => {
  const d = document;
  if (!navigator.clipboard) return;
  const status = d.getElementById('copy-status');
  for (const b of d.querySelectorAll('button[data-copy]')) {
    const text = b.textContent, label = b.getAttribute('aria-label');
    b.hidden = false;
    b.addEventListener('click', async () => {
      const el = d.getElementById(b.dataset.copy);
      if (!el) return;
      const what = label.replace(/^Copy /, '');
      try {
        await navigator.clipboard.writeText(el.textContent);
        b.textContent = 'Copied';
        b.setAttribute('aria-label', 'Copied ' + what);
        status.textContent = what.charAt(0).toUpperCase() + what.slice(1) + ' copied.';
        setTimeout(() => { b.textContent = text; b.setAttribute('aria-label', label); }, 2000);
      } catch {
        const range = d.createRange();
        range.selectNodeContents(el);
        const sel = getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        status.textContent = 'Selected: press Ctrl+C (or Cmd+C) to copy.';
      }
    });
  }
})();`;
