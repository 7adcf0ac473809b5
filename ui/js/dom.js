// A tiny element builder. The UI never assigns HTML strings: text always goes through
// textContent, so log-derived strings (project paths, commit messages) cannot inject markup.

// h('div', {class: 'card', dataset: {value: 1}, onclick: fn}, child, 'text', [more])
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) { if (dv !== undefined && dv !== null) el.dataset[dk] = String(dv); }
      else if (k === 'style') for (const [sk, sv] of Object.entries(v)) el.style.setProperty(sk, sv);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = v;
      else if (k in el && typeof v !== 'string') el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

// Replaces a container's children while keeping the scroll position of the given scroller.
export function replace(container, ...children) {
  const scroller = document.getElementById('main');
  const top = scroller ? scroller.scrollTop : 0;
  container.replaceChildren();
  append(container, children);
  if (scroller) scroller.scrollTop = top;
}

export function errorBox(message) {
  return h('div', { id: 'error-banner', class: 'error-box', role: 'alert' }, h('strong', null, 'Something went wrong: '), String(message));
}
