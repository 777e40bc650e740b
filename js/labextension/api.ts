// The server extension's routes over ServerConnection.makeRequest, which adds the token or
// the XSRF header the server requires. Path segments are URL-encoded: names are user text.

import { ServerConnection } from "@jupyterlab/services";

import type {
  Api,
  Artifact,
  Experiment,
  HistoryEvent,
  ModelVersion,
  RegisteredModel,
  RunDetail,
  RunSummary,
  Stage,
} from "./types";

/** A failed request, with the server's own explanation when it gave one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function restApi(settings: ServerConnection.ISettings = ServerConnection.makeSettings()): Api {
  async function request<T>(
    segments: string[],
    init: RequestInit = {},
    query: Record<string, string> = {},
  ): Promise<T> {
    const path = segments.map(encodeURIComponent).join("/");
    const search = new URLSearchParams(Object.entries(query).filter(([, value]) => value !== "")).toString();
    const url = `${settings.baseUrl.replace(/\/?$/, "/")}labtrack/api/${path}${search ? `?${search}` : ""}`;
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, settings);
    } catch (error) {
      throw new ApiError(0, `cannot reach the server: ${String(error)}`);
    }
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!response.ok) {
      const message = (body as { message?: string } | null)?.message;
      throw new ApiError(response.status, message || `${response.status} ${response.statusText}`);
    }
    return body as T;
  }
  const send = (method: string, body: object = {}): RequestInit => ({ method, body: JSON.stringify(body) });

  return {
    stamp: async () => (await request<{ stamp: string }>(["stamp"])).stamp,
    experiments: async () => (await request<{ experiments: Experiment[] }>(["experiments"])).experiments,
    runs: async (id, query) =>
      (await request<{ runs: RunSummary[] }>(["experiments", id, "runs"], {}, { q: query })).runs,
    run: (id) => request<RunDetail>(["runs", id]),
    artifacts: async (id, path) =>
      (await request<{ files: Artifact[] }>(["runs", id, "artifacts"], {}, { path })).files,
    models: async (query) => (await request<{ models: RegisteredModel[] }>(["models"], {}, { q: query })).models,
    model: (name) => request<RegisteredModel>(["models", name]),
    version: (name, version) => request<ModelVersion>(["models", name, "versions", version]),
    history: async (name, version) =>
      (
        await request<{ events: HistoryEvent[] }>(
          version === undefined ? ["models", name, "history"] : ["models", name, "versions", version, "history"],
        )
      ).events,
    setStage: (name, version, stage: Stage, archiveExisting, comment) =>
      request<RegisteredModel>(
        ["models", name, "versions", version, "stage"],
        send("POST", { stage, archive_existing_versions: archiveExisting, comment }),
      ),
    archive: (name, version) =>
      request<RegisteredModel>(["models", name, "versions", version, "archive"], send("POST")),
    setAlias: (name, alias, version) =>
      request<RegisteredModel>(["models", name, "aliases", alias], send("PUT", { version })),
    deleteAlias: (name, alias) => request<RegisteredModel>(["models", name, "aliases", alias], { method: "DELETE" }),
    setNote: (runId, note) => request<RunDetail>(["runs", runId, "note"], send("PUT", { note })),
  };
}
