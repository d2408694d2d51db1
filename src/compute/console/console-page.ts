/**
 * Kumo's noVNC page. Ours rather than noVNC's vnc_lite.html (which the npm
 * package does not ship): a full-window screen, a status bar and
 * Ctrl-Alt-Del. It takes the websocket path from `?path=` as Nova's console
 * URLs carry it (`?path=%3Ftoken%3D...`), or a bare `?token=`.
 */
export const CONSOLE_PAGE_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Console - noVNC</title>
<style>
  html, body { margin: 0; height: 100%; background: #282828; color: #eee; font: 14px system-ui, sans-serif; }
  body { display: flex; flex-direction: column; }
  #bar { display: flex; align-items: center; gap: 12px; padding: 6px 10px; background: #3a3a3a; }
  #status { flex: 1; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  button { font: inherit; }
  #screen { flex: 1; overflow: hidden; }
</style>
<script type="module" src="kumo-console.js"></script>
</head>
<body data-state="loading">
<div id="bar"><span id="status">Loading noVNC…</span><button id="cad" type="button" disabled>Send Ctrl-Alt-Del</button></div>
<div id="screen"></div>
</body>
</html>
`;

/** The page's script; a separate file so the page can forbid inline scripts. */
export const CONSOLE_PAGE_SCRIPT = `import RFB from './core/rfb.js';

const params = new URLSearchParams(window.location.search);
const status = document.getElementById('status');
const cad = document.getElementById('cad');

function setState(state, text) {
  document.body.dataset.state = state;
  status.textContent = text;
}

// Nova's URLs carry the websocket path in ?path= (e.g. "?token=..."), relative to the page's origin.
let path = params.get('path');
if (path === null && params.get('token')) path = '?token=' + encodeURIComponent(params.get('token'));
if (path === null) {
  setState('error', 'No console token in this URL.');
} else {
  const scheme = window.location.protocol === 'https:' ? 'wss://' : 'ws://';
  const url = scheme + window.location.host + '/' + path.replace(/^\\/+/, '');
  const rfb = new RFB(document.getElementById('screen'), url, { wsProtocols: ['binary'] });
  rfb.scaleViewport = true;
  rfb.background = '#282828';
  let name = '';
  setState('connecting', 'Connecting…');
  rfb.addEventListener('connect', () => {
    setState('connected', name ? 'Connected to ' + name : 'Connected');
    cad.disabled = false;
  });
  rfb.addEventListener('disconnect', (e) => {
    cad.disabled = true;
    setState('disconnected', e.detail.clean ? 'Disconnected.' : 'Connection failed or was closed by the server.');
  });
  rfb.addEventListener('desktopname', (e) => {
    name = e.detail.name;
    if (document.body.dataset.state === 'connected') status.textContent = 'Connected to ' + name;
    document.title = name + ' - noVNC';
  });
  rfb.addEventListener('securityfailure', (e) => setState('error', 'Security failure: ' + (e.detail.reason || e.detail.status)));
  cad.addEventListener('click', () => rfb.sendCtrlAltDel());
  window.kumoConsole = rfb;
}
`;
