// The static markup of the Memory Map webview body (the extension host wraps it in a page
// with the CSP; the perf test page uses the same markup). main.ts fills the containers.
export const WEBVIEW_BODY = `<header class="top">
  <div class="where"><span id="project"></span><vscode-badge id="env" variant="counter"></vscode-badge></div>
  <vscode-radio-group id="mode" aria-label="Firmware shown" hidden>
    <vscode-radio name="mode" value="after" label="After split">After split</vscode-radio>
    <vscode-radio name="mode" value="before" label="Before split">Before split</vscode-radio>
  </vscode-radio-group>
</header>
<div id="busy" role="status" hidden><vscode-progress-ring></vscode-progress-ring><span id="busy-text"></span></div>
<section id="message" role="status" hidden></section>
<main id="content" hidden>
  <section id="summary" aria-label="Summary"></section>
  <h2 id="regions-title">Regions</h2>
  <section id="regions" aria-labelledby="regions-title"></section>
  <h2 id="libraries-title">Libraries</h2>
  <div class="table-wrap" id="table" role="region" tabindex="0" aria-labelledby="libraries-title"></div>
</main>`;
