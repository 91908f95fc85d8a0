/** Stylesheets imported for their side effect: esbuild bundles them into the CSS file beside the script. */
declare module '*.css';
