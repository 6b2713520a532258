// The Plat extension: starts `platc lsp` (the path is the `platc.path`
// setting, `platc` on PATH by default) and connects VS Code to it over
// stdio. Highlighting comes from syntaxes/plat.tmLanguage.json.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

/** @type {LanguageClient | undefined} */
let client;

function createClient() {
  const config = vscode.workspace.getConfiguration("platc");
  const command = config.get("path") || "platc";
  const serverOptions = {
    run: { command, args: ["lsp"], transport: TransportKind.stdio },
    debug: { command, args: ["lsp"], transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "plat" },
      { scheme: "untitled", language: "plat" },
    ],
    synchronize: {
      // Files changed outside the editor (a git checkout, a values file
      // saved) make the projects that read them be checked again.
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{plat,yaml,yml}"),
    },
    initializationOptions: {
      stdlibCacheDir: config.get("stdlibCacheDir") || "",
    },
    outputChannelName: "Plat",
  };
  return new LanguageClient("platc", "Plat (platc lsp)", serverOptions, clientOptions);
}

async function start() {
  client = createClient();
  try {
    await client.start();
  } catch (e) {
    const path = vscode.workspace.getConfiguration("platc").get("path");
    vscode.window.showErrorMessage(
      `Could not start the platc language server (\`${path} lsp\`): ${e}. ` +
        "Install platc (`cargo install --path compiler/platc-cli`) or set `platc.path`."
    );
  }
}

async function restart() {
  if (client) {
    const old = client;
    client = undefined;
    await old.stop().catch(() => {});
  }
  await start();
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("platc.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("platc.path") || e.affectsConfiguration("platc.stdlibCacheDir")) {
        restart();
      }
    })
  );
  await start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
