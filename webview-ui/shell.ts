// The static markup of the Memory Map webview body (the extension host wraps it in a page
// with the CSP; the perf test page uses the same markup). main.ts fills the containers.
// The sidebar is the glanceable summary (bars, the largest libraries, a link to the rest); the editor tab ("full") adds the headroom, the
// filter, drill-down, the comparisons and export, in the containers marked data-full.
export function webviewBody(layout: 'sidebar' | 'full'): string {
  const full = layout === 'full';
  return `<header class="top">
  <div class="where"><span id="project"></span><vscode-badge id="env" variant="counter"></vscode-badge></div>
  <vscode-radio-group id="mode" aria-label="Firmware shown" hidden>
    <vscode-radio name="mode" value="after" label="After split">After split</vscode-radio>
    <vscode-radio name="mode" value="before" label="Before split">Before split</vscode-radio>
  </vscode-radio-group>
  ${full ? '' : '<button id="open-full" class="link" data-command="esp32mm.openMemoryMap" title="Memory Manager: Open Memory Map (filter, drill-down, compare, export)">Open Memory Map</button>'}
</header>
<div id="busy" role="status" hidden><vscode-progress-ring></vscode-progress-ring><span id="busy-text"></span></div>
<section id="message" role="status" hidden></section>
<main id="content" hidden>
  <section id="summary" aria-label="Summary"></section>
  ${full ? '<section id="headroom" aria-label="App partition headroom"></section>' : ''}
  <h2 id="regions-title">Regions</h2>
  <section id="regions" aria-labelledby="regions-title"></section>
  ${
    full
      ? `<div class="toolbar" role="toolbar" aria-label="Libraries">
    <input id="filter" type="search" placeholder="Filter by library or archive" aria-label="Filter libraries by name or archive" spellcheck="false">
    <label for="compare">Show</label>
    <select id="compare" aria-label="Show the libraries or a comparison"><option value="">libraries</option></select>
    <span class="export" role="group" aria-label="Export">Export
      <button class="export-button" data-export="csv">CSV</button><button class="export-button" data-export="json">JSON</button><button class="export-button" data-export="md">Markdown</button></span>
  </div>`
      : ''
  }
  <h2 id="libraries-title">${full ? 'Libraries' : 'Largest libraries'}</h2>
  ${full ? '<div class="table-wrap" id="table" role="region" tabindex="0" aria-labelledby="libraries-title"></div>' : '<div class="top-libraries" id="table"></div>'}
  ${full ? '<section id="comparison" aria-label="Comparison" hidden></section>' : ''}
</main>`;
}

export const WEBVIEW_BODY = webviewBody('sidebar');
export const FULL_WEBVIEW_BODY = webviewBody('full');
