// Sign in with an API key, ask the API who that is, and show what that role may see.

import { api, ApiError, session } from "./api.js";
import { loadAffiliate } from "./affiliate.js";
import { loadCampaigns } from "./campaigns.js";
import { loadOperator } from "./operator.js";

const $ = (id) => document.getElementById(id);
const VIEWS = { ADMIN: ["operator", "campaigns"], ANALYST: ["operator", "campaigns"],
  CLIENT: ["campaigns"], AFFILIATE: ["affiliate"] };

function signInView(message = "") {
  for (const id of ["operator", "campaigns", "affiliate", "refresh", "sign-out"]) $(id).hidden = true;
  $("who").textContent = "";
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
  document.body.dataset.view = "sign-in";
  $("api-key").focus();
}

async function load(me) {
  const views = VIEWS[me.role] || [];
  document.body.dataset.view = "loading";
  await Promise.all([
    views.includes("operator") ? loadOperator(me) : null,
    views.includes("campaigns") ? loadCampaigns() : null,
    views.includes("affiliate") ? loadAffiliate(me) : null,
  ]);
  document.body.dataset.view = me.role.toLowerCase();
}

async function start() {
  if (!session.get()) return signInView();
  let me;
  try {
    me = await api("/me");
  } catch (err) {
    const unknown = err instanceof ApiError && err.status === 401;
    if (unknown) session.clear();
    return signInView(unknown ? "That key was not accepted." : `Could not sign in: ${err.message}`);
  }
  $("sign-in").hidden = true;
  $("who").textContent = `Signed in as ${me.name} (${me.role})`;
  for (const id of ["operator", "campaigns", "affiliate"]) $(id).hidden = !(VIEWS[me.role] || []).includes(id);
  $("refresh").hidden = $("sign-out").hidden = false;
  $("refresh").onclick = () => load(me);
  await load(me);
}

$("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("api-key");
  const key = input.value.trim();
  input.value = "";
  if (!key) return;
  document.body.dataset.view = "loading";
  session.set(key);
  start();
});

$("sign-out").addEventListener("click", () => {
  session.clear();
  window.location.replace("/dashboard");
});

start();
