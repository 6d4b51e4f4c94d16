/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Origin of the Skilldex API when the UI is hosted elsewhere; empty for same origin. */
  readonly VITE_API_BASE_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
