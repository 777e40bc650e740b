// The sidebar's tab icon: a flask with a rising line (themed through jp-icon3's fill).

import { LabIcon } from "@jupyterlab/ui-components";

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M9 2h6v2h-1v5.2l5.6 9.7A2 2 0 0 1 17.9 22H6.1a2 2 0 0 1-1.7-3.1L10 9.2V4H9V2zm3 9.3L9.4 16h5.2L12 11.3z"/>
    <path d="M3 9l3-3 2 2 3-4 1.2.9-4 5.3-2.2-2.2L4.4 10.4z"/>
  </g>
</svg>`;

export const labtrackIcon = new LabIcon({ name: "labtrack:icon", svgstr: svg });
