import { mount } from "svelte";
import App from "./App.svelte";
import { connectHost } from "./lib/host";
import { AppState } from "./lib/state/app.svelte";
import "./styles/theme.css";
import "./styles/base.css";

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");
const app = new AppState(connectHost(window), document.documentElement, window.localStorage);
mount(App, { target, props: { app } });
