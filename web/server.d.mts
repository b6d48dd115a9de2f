/** Types of web/server.mjs (the playground's static server). */
export interface Served {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  close(): Promise<void>;
}
export function startServer(options: { root: string; port?: number; isolate?: boolean; host?: string }): Promise<Served>;
