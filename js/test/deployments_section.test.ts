// The sidebar's "Deployments" section: hidden with none; a row per deployment with its health,
// model version and traffic (names as text only); a click opens its run; "Stop" only for a live
// local one, confirmed first, and the server's refusal shown under it.

import { expect, describe as group, it } from "vitest";

import {
  type Deployment,
  type DeploymentsApi,
  DeploymentsSection,
  describe,
  health,
  isWebUrl,
  modelLabel,
  stoppable,
} from "../labextension/deployments";
import { XSS } from "./helpers";

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const PROD: Deployment = {
  name: "iris-prod",
  status: "RUNNING",
  model_uri: "models:/iris@champion",
  model_name: "iris",
  model_version: "3",
  url: "http://127.0.0.1:5001",
  host: "lab-1",
  pid: 4242,
  start_time: NOW - 3_600_000,
  last_seen: NOW - 10_000,
  requests: 1204,
  run_id: "r1",
  local: true,
};
const REMOTE: Deployment = { ...PROD, name: "iris-eu", host: "gpu-7", local: false, run_id: "r2", requests: 1 };
const OLD: Deployment = { ...PROD, name: "iris-old", status: "STOPPED", last_seen: NOW - 7_200_000, run_id: "r3" };

function fakeApi(deployments: Deployment[]) {
  const calls: string[] = [];
  let refuse = "";
  const api: DeploymentsApi & { calls: string[]; refuse(message: string): void } = {
    calls,
    refuse: (message) => {
      refuse = message;
    },
    list: async () => deployments,
    stop: async (name) => {
      calls.push(name);
      if (refuse) throw new Error(refuse);
      const d = deployments.find((x) => x.name === name)!;
      return { ...d, status: "STOPPED" };
    },
  };
  return api;
}

group("deployments section", () => {
  it("links only a deployment's http(s) URL: a tag may say javascript:", async () => {
    expect(isWebUrl("http://127.0.0.1:5001")).toBe(true);
    expect(isWebUrl("https://models.example/iris")).toBe(true);
    expect(isWebUrl("javascript:alert(1)")).toBe(false);
    expect(isWebUrl("not a url")).toBe(false);
    const section = new DeploymentsSection(
      { list: async () => [PROD, { ...REMOTE, url: "javascript:alert(1)" }], stop: async () => PROD },
      () => undefined,
      async () => false,
    );
    await section.refresh();
    const links = [...section.node.querySelectorAll<HTMLAnchorElement>("a.lt-sb-url")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual(["http://127.0.0.1:5001"]);
  });

  it("says each deployment's health, model version, traffic and where it runs", () => {
    expect(health(PROD)).toBe("live");
    expect(health(OLD)).toBe("stopped");
    expect(health({ ...PROD, status: "FAILED" })).toBe("failed");
    expect(modelLabel(PROD)).toBe("iris v3");
    expect(modelLabel({ ...PROD, model_name: null, model_version: null, model_uri: "runs:/abc/model" })).toBe(
      "runs:/abc/model",
    );
    expect(describe(PROD, NOW)).toBe("live · 1,204 requests · seen just now · this machine");
    expect(describe(REMOTE, NOW)).toBe("live · 1 request · seen just now · gpu-7");
    expect(describe(OLD, NOW)).toBe("stopped · 1,204 requests · stopped 2 h ago · this machine");
    expect([PROD, REMOTE, OLD].map(stoppable)).toEqual([true, false, false]);
  });

  it("lists the deployments, hidden when there are none, and opens a run on click", async () => {
    const opened: string[] = [];
    let answer: Deployment[] = [];
    const section = new DeploymentsSection(
      { list: async () => answer, stop: async () => PROD },
      (runId) => opened.push(runId),
      async () => false,
    );
    await section.refresh();
    expect(section.node.hidden).toBe(true);

    answer = [PROD, REMOTE, OLD, { ...OLD, name: XSS, run_id: "r4" }];
    await section.refresh();
    expect(section.node.hidden).toBe(false);
    const rows = [...section.node.querySelectorAll<HTMLElement>(".lt-sb-row")];
    expect(rows.map((r) => r.dataset.health)).toEqual(["live", "live", "stopped", "stopped"]);
    expect(rows[0]!.querySelector(".lt-sb-badge-model")!.textContent).toBe("iris v3");
    expect(section.node.querySelector(".lt-sb-count")!.textContent).toBe("2/4");
    expect(section.node.querySelector("img")).toBeNull();
    expect(rows[3]!.textContent).toContain("<img");
    // Stop only where the server is local and live.
    const stops = [...section.node.querySelectorAll<HTMLButtonElement>(".lt-sb-stop")];
    expect(stops.map((b) => b.getAttribute("aria-label"))).toEqual(["stop deployment iris-prod"]);

    rows[1]!.dispatchEvent(new Event("click"));
    rows[2]!.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    expect(opened).toEqual(["r2", "r3"]);
  });

  it("stops a local deployment once confirmed, and shows its new state", async () => {
    const api = fakeApi([PROD]);
    const asked: string[] = [];
    let accept = false;
    const opened: string[] = [];
    const section = new DeploymentsSection(
      api,
      (id) => opened.push(id),
      async (d) => {
        asked.push(d.name);
        return accept;
      },
    );
    await section.refresh();
    await section.stop(PROD);
    expect(asked).toEqual(["iris-prod"]);
    expect(api.calls).toEqual([]); // cancelled: nothing sent
    accept = true;
    section.node.querySelector<HTMLButtonElement>(".lt-sb-stop")!.click();
    await expect.poll(() => api.calls).toEqual(["iris-prod"]);
    await expect.poll(() => section.node.querySelector<HTMLElement>(".lt-sb-row")?.dataset.health).toBe("stopped");
    expect(section.node.querySelector(".lt-sb-stop")).toBeNull();
    expect(opened).toEqual([]); // the button does not also open the run
  });

  it("shows why the server refused to stop it", async () => {
    const api = fakeApi([PROD]);
    const section = new DeploymentsSection(
      api,
      () => {},
      async () => true,
    );
    await section.refresh();
    api.refuse("deployment 'iris-prod' is served by another kind of process");
    await section.stop(PROD);
    const error = section.node.querySelector(".lt-sb-error")!;
    expect(error.textContent).toBe(
      "Could not stop iris-prod: deployment 'iris-prod' is served by another kind of process",
    );
    expect(section.node.querySelector<HTMLElement>(".lt-sb-row")!.dataset.health).toBe("live");
  });

  it("keeps what it shows when the server is away", async () => {
    let fail = false;
    const section = new DeploymentsSection(
      {
        list: async () => {
          if (fail) throw new Error("offline");
          return [PROD];
        },
        stop: async () => PROD,
      },
      () => {},
      async () => false,
    );
    await section.refresh();
    fail = true;
    await section.refresh();
    expect(section.node.querySelectorAll(".lt-sb-row")).toHaveLength(1);
  });
});
