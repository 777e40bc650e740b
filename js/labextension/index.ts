// The JupyterLab plugin: the labtrack panel in the left sidebar, and commands that open a
// run's or a model version's details in the main area.

import { ILabShell, type JupyterFrontEnd, type JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ICommandPalette, MainAreaWidget, Notification } from "@jupyterlab/apputils";
import { ServerConnection } from "@jupyterlab/services";

import { restApi } from "./api";
import { DeploymentsSection, deploymentsApi } from "./deployments";
import { DetailsView, type Subject, subjectId } from "./details";
import { askPromotion, confirmArchive, confirmStop } from "./dialogs";
import { labtrackIcon } from "./icon";
import {
  type Alert,
  type AlertPage,
  type AlertsApi,
  AlertWatcher,
  alertMessage,
  notificationType,
  SidebarModel,
} from "./model";
import { PipelinesSection, pipelinesApi } from "./pipelines";
import { providePlotly } from "./plotly";
import { SidebarPanel } from "./sidebar";

const COMMANDS = {
  show: "labtrack:show-sidebar",
  openRun: "labtrack:open-run",
  openVersion: "labtrack:open-model-version",
};

const plugin: JupyterFrontEndPlugin<void> = {
  id: "labtrack:sidebar",
  description: "Registered models, experiments and runs of the labtrack store, in the left sidebar.",
  autoStart: true,
  requires: [ILabShell],
  optional: [ICommandPalette],
  activate(app: JupyterFrontEnd, shell: ILabShell, palette: ICommandPalette | null) {
    providePlotly(); // the chart widgets' Plotly, from this extension instead of the kernel
    const api = restApi(app.serviceManager.serverSettings);
    const model = new SidebarModel(api);

    const open = (subject: Subject) => {
      const id = subjectId(subject);
      const existing = [...shell.widgets("main")].find((w) => w.id === id);
      if (existing) {
        (existing as MainAreaWidget<DetailsView>).content.load();
        shell.activateById(id);
        return;
      }
      const content = new DetailsView(api, subject, (runId) => open({ kind: "run", runId }));
      const widget = new MainAreaWidget({ content });
      widget.id = id;
      widget.title.icon = labtrackIcon;
      widget.title.label = content.title.label;
      content.title.changed.connect(() => (widget.title.label = content.title.label));
      shell.add(widget, "main");
      shell.activateById(id);
    };

    app.commands.addCommand(COMMANDS.openRun, {
      label: "labtrack: Open Run Details",
      execute: (args) => open({ kind: "run", runId: String(args.runId) }),
    });
    app.commands.addCommand(COMMANDS.openVersion, {
      label: "labtrack: Open Model Version Details",
      execute: (args) => open({ kind: "version", name: String(args.name), version: String(args.version) }),
    });

    const panel = new SidebarPanel(model, {
      toggleModel: (name) => void model.toggleModel(name),
      toggleExperiment: (id) => void model.toggleExperiment(id),
      openRun: (runId) => void app.commands.execute(COMMANDS.openRun, { runId }),
      openVersion: (name, version) => void app.commands.execute(COMMANDS.openVersion, { name, version }),
      promote: async (name, version) => {
        const promotion = await askPromotion(name, version);
        if (promotion) await model.promote(name, version, promotion);
      },
      archive: async (name, version) => {
        if (await confirmArchive(name, version)) await model.archive(name, version);
      },
    });
    // Running pipelines, above the models and experiments, fetched again when the store changed.
    const pipelines = new PipelinesSection(pipelinesApi(app.serviceManager.serverSettings), (runId) =>
      app.commands.execute(COMMANDS.openRun, { runId }),
    );
    panel.node.querySelector(".lt-sb-body")?.before(pipelines.node);
    model.subscribe(() => pipelines.schedule());
    panel.disposed.connect(() => pipelines.dispose());
    // Deployments (labtrack serve --deployment), under the running pipelines; the heartbeats
    // of live ones move the store's stamp, so their traffic and health stay current.
    const deployments = new DeploymentsSection(
      deploymentsApi(app.serviceManager.serverSettings),
      (runId) => app.commands.execute(COMMANDS.openRun, { runId }),
      confirmStop,
    );
    pipelines.node.after(deployments.node);
    model.subscribe(() => deployments.schedule());
    panel.disposed.connect(() => deployments.dispose());
    panel.title.icon = labtrackIcon;
    panel.title.caption = "labtrack: models and experiments";
    shell.add(panel, "left", { rank: 650 });

    app.commands.addCommand(COMMANDS.show, {
      label: "labtrack: Show Models and Experiments",
      execute: () => shell.activateById(panel.id),
    });
    palette?.addItem({ command: COMMANDS.show, category: "labtrack" });

    // Alerts (lt.alert, lt.alert_when) show as notifications whether or not the panel is open.
    const showAlert = (alert: Alert) =>
      Notification.emit(alertMessage(alert), notificationType(alert.level), {
        // An error stays until dismissed; the others leave on their own (and stay listed in
        // the notification center).
        autoClose: alert.level === "ERROR" ? false : ALERT_SECONDS * 1000,
        actions: [
          {
            label: "Open run",
            caption: `Open the details of run ${alert.run_id}`,
            callback: () => void app.commands.execute(COMMANDS.openRun, { runId: alert.run_id }),
          },
        ],
      });
    new AlertWatcher(alertsApi(api.stamp, app.serviceManager.serverSettings), showAlert).start();
  },
};

// How long an INFO or WARN alert's notification stays on screen.
const ALERT_SECONDS = 15;

/** The `alerts` route (`labtrack.sidebar.alerts`), beside the panel's `stamp`. */
function alertsApi(stamp: () => Promise<string>, settings: ServerConnection.ISettings): AlertsApi {
  return {
    stamp,
    async alerts(after) {
      const query = after === null ? "" : `?after=${encodeURIComponent(String(after))}`;
      const url = `${settings.baseUrl.replace(/\/?$/, "/")}labtrack/api/alerts${query}`;
      const response = await ServerConnection.makeRequest(url, {}, settings);
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      return (await response.json()) as AlertPage;
    },
  };
}

export default plugin;
