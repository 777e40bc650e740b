// Plotly's parcoords with its WebGL shaders precompiled: regl otherwise builds them with
// `new Function`, which the report's Content-Security-Policy (no 'unsafe-eval') refuses.
declare module "plotly.js/src/traces/parcoords/strict" {
  const trace: unknown;
  export default trace;
}
