// The workshop pages' only script (served from the workshop server itself).
// Partner pages: each answer is saved as it is chosen; the page reloads itself when
// the facilitator opens a part or both partners have revealed. Projector: the room's
// anonymous strips, refreshed every second.
(function () {
  'use strict';
  const body = document.body;
  const status = document.querySelector('.status');
  let pending = 0;
  let failed = null;

  function say(text, problem) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle('problem', !!problem);
  }

  function keyOf(el) {
    const holder = el.closest('[data-worksheet]');
    return {
      worksheet: holder.dataset.worksheet,
      item: holder.dataset.item,
      row: Number(holder.dataset.row || 0),
      field: holder.dataset.field,
    };
  }

  async function save(el, value) {
    const holder = el.closest('[data-worksheet]');
    const payload = Object.assign(keyOf(el), { value: value });
    pending += 1;
    say('Saving…');
    try {
      const response = await fetch('answer', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(payload),
        credentials: 'omit',
      });
      const answer = await response.json().catch(() => ({ error: 'not saved' }));
      if (!response.ok || answer.error) throw new Error(answer.error || 'not saved');
      holder.removeAttribute('aria-invalid');
      holder.classList.add('saved');
      failed = null;
      say('Saved.');
      const count = document.getElementById('count');
      if (count && payload.worksheet === 'spectrum') {
        count.textContent = count.textContent.replace(/^\d+/, String(answer.answered));
      }
    } catch (error) {
      holder.setAttribute('aria-invalid', 'true');
      failed = () => save(el, value);
      say('Not saved: ' + (error.message || 'the connection dropped') +
          '. Your choice is still on screen; it will be tried again.', true);
      setTimeout(() => { if (failed) failed(); }, 3000);
    } finally {
      pending -= 1;
    }
  }

  function valueOf(el) {
    if (el.type === 'checkbox') return el.checked;
    if (el.type === 'radio') {
      const n = Number(el.value);
      return el.value !== '' && !Number.isNaN(n) && /^[-+]?\d+$/.test(el.value) ? n : el.value;
    }
    return el.value;
  }

  document.querySelectorAll('fieldset.answer input[type=radio]').forEach((el) => {
    el.addEventListener('change', () => save(el, valueOf(el)));
  });
  document.querySelectorAll('.answer.check').forEach((el) => {
    el.addEventListener('change', () => save(el, valueOf(el)));
  });
  document.querySelectorAll('.answer.text').forEach((el) => {
    let timer = null;
    const now = () => { clearTimeout(timer); timer = null; save(el, valueOf(el)); };
    el.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(now, 800); });
    el.addEventListener('change', now);
  });

  // A partner's page follows the room: reload when something changed, but never while
  // someone is typing or an answer is on its way.
  async function follow(initial) {
    try {
      const response = await fetch('state', { credentials: 'omit', cache: 'no-store' });
      if (response.status === 410 || response.status === 404) { location.reload(); return; }
      const state = (await response.json()).state;
      if (initial === null) initial = state;
      const typing = document.activeElement && /^(TEXTAREA|INPUT|SELECT)$/.test(
        document.activeElement.tagName) && document.activeElement.type !== 'radio';
      if (state !== initial && !pending && !typing) { location.reload(); return; }
    } catch (error) { /* the laptop is busy or the network dropped: try again later */ }
    setTimeout(() => follow(initial), 3000);
  }

  const SVG = 'http://www.w3.org/2000/svg';

  function strip(holder, item, positions) {
    const dots = holder.querySelector('.dots');
    const waiting = holder.querySelector('.waiting');
    holder.classList.toggle('is-waiting', item.waiting);
    waiting.hidden = !item.waiting;
    dots.textContent = '';
    if (item.waiting) return;
    // dots in rows of five per position: nothing pairs two dots together
    const perRow = 5;
    const r = 7;
    const step = 2 * r + 3;
    const rows = Math.max(1, ...item.counts.map((c) => Math.ceil(c / perRow)));
    const height = rows * step + 40;
    const base = height - 30;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 700 ${height}`);
    svg.setAttribute('role', 'img');
    const people = item.counts.reduce((a, b) => a + b, 0);
    svg.setAttribute('aria-label', `${people} people: ` + positions.map(
      (p, i) => `${item.counts[i]} at ${p > 0 ? '+' + p : p}`).join(', '));
    const axis = document.createElementNS(SVG, 'line');
    axis.setAttribute('x1', '10'); axis.setAttribute('x2', '690');
    axis.setAttribute('y1', String(base)); axis.setAttribute('y2', String(base));
    axis.setAttribute('class', 'axis');
    svg.appendChild(axis);
    positions.forEach((p, i) => {
      const x = 50 + i * 100;
      const tick = document.createElementNS(SVG, 'text');
      tick.setAttribute('x', String(x));
      tick.setAttribute('y', String(base + 22));
      tick.setAttribute('class', 'tick');
      tick.textContent = p > 0 ? '+' + p : String(p);
      svg.appendChild(tick);
      for (let k = 0; k < item.counts[i]; k += 1) {
        const inRow = Math.min(perRow, item.counts[i] - Math.floor(k / perRow) * perRow);
        const col = k % perRow;
        const dot = document.createElementNS(SVG, 'circle');
        dot.setAttribute('cx', String(x + (col - (inRow - 1) / 2) * step));
        dot.setAttribute('cy', String(base - 4 - r - Math.floor(k / perRow) * step));
        dot.setAttribute('r', String(r));
        dot.setAttribute('class', 'dot');
        svg.appendChild(dot);
      }
    });
    dots.appendChild(svg);
  }

  async function room() {
    try {
      const response = await fetch('room.json', { credentials: 'omit', cache: 'no-store' });
      if (response.status === 410 || response.status === 404) { location.reload(); return; }
      const data = await response.json();
      document.getElementById('joined').textContent = data.joined === 1
        ? '1 couple has joined.' : `${data.joined} couples have joined.`;
      data.items.forEach((item) => {
        const holder = document.querySelector(`.strip[data-item="${CSS.escape(item.id)}"]`);
        if (holder) strip(holder, item, data.positions);
      });
      const spread = document.getElementById('spread');
      spread.textContent = '';
      if (!data.spread.length) {
        const p = document.createElement('p');
        p.textContent = `Shown once ${data.k} couples have answered.`;
        spread.appendChild(p);
      }
      data.spread.forEach((s) => {
        const card = document.createElement('article');
        card.className = 'spread';
        const h = document.createElement('h3');
        h.textContent = s.title;
        const ends = document.createElement('p');
        ends.textContent = `${s.left}  …  ${s.right}`;
        card.append(h, ends);
        const drawn = document.querySelector(`.strip[data-item="${CSS.escape(s.id)}"] svg`);
        if (drawn) card.appendChild(drawn.cloneNode(true));
        spread.appendChild(card);
      });
      const ask = document.getElementById('ask');
      ask.textContent = data.spread.length ? data.spread[0].prompt : '';
      body.dataset.updated = String(Date.now());
    } catch (error) { /* try again in a second */ }
    setTimeout(room, 1000);
  }

  // a form that cannot be undone asks first
  document.querySelectorAll('form[data-confirm]').forEach((form) => {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.dataset.confirm.replace(/\s+/g, ' '))) event.preventDefault();
    });
  });

  if (body.dataset.refresh === 'state') follow(null);
  if (body.dataset.refresh === 'room') room();
}());
