// The JupyterLab plugin: the labtrack panel in the left sidebar, and commands that open a
// run's or a model version's details in the main area.

import { ILabShell, type JupyterFrontEnd, type JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ICommandPalette, MainAreaWidget } from "@jupyterlab/apputils";

import { restApi } from "./api";
import { DetailsView, type Subject, subjectId } from "./details";
import { askPromotion, confirmArchive } from "./dialogs";
import { labtrackIcon } from "./icon";
import { SidebarModel } from "./model";
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
    panel.title.icon = labtrackIcon;
    panel.title.caption = "labtrack: models and experiments";
    shell.add(panel, "left", { rank: 650 });

    app.commands.addCommand(COMMANDS.show, {
      label: "labtrack: Show Models and Experiments",
      execute: () => shell.activateById(panel.id),
    });
    palette?.addItem({ command: COMMANDS.show, category: "labtrack" });
  },
};

export default plugin;
