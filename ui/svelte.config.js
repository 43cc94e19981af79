// Read by vite-plugin-svelte and svelte-check. Svelte 5 strips TypeScript
// types itself, so no preprocessor is configured.
export default {};
