// MUS-bot's local web chat. It draws only neutral messages, forms and overviews, so a flow
// added later appears here unchanged. Every text goes in with textContent: nothing a person
// wrote can ever become markup. No build step, no framework.

const CHROME = {
  da: {
    skip: "Spring til skrivefeltet",
    subtitle: "lokal web chat",
    actAs: "Du er",
    clock: "Spol tiden frem:",
    clockDay: "1 dag",
    clockWeek: "1 uge",
    dmTitle: "Direkte besked med MUS-bot",
    dmLabel: "Skriv til MUS-bot (fx mus hjælp)",
    channelLabel: "Skriv i #{name}",
    send: "Send",
    homeTitle: "Dit overblik",
    homeRefresh: "Opdater overblik",
    homeEmpty: "Dit overblik kommer her.",
    cancel: "Annuller",
    optional: "valgfri",
    choose: "Vælg …",
    onlyYou: "kun synlig for dig",
    connected: "Forbundet som {name}.",
    reconnecting: "Forbindelsen er afbrudt; prøver igen …",
    sendFailed: "Kunne ikke sende. Prøv igen.",
    fixFields: "Ret de markerede felter.",
    characters: "{count} af {max} tegn",
    admin: "leder",
    download: "Hent",
    you: "dig",
    clockMoved: "Tiden er nu {now}. Påmindelser sendt: {sent}.",
    clockDayLabel: "Spol tiden frem til næste arbejdsdag kl. 9",
    clockWeekLabel: "Spol tiden en uge frem til en arbejdsdag kl. 9",
    peopleTitle: "Skift person",
    unread: "{count} ulæste",
    guideTitle: "Guide",
    guideCount: "trin {number} af {count}",
    guideSwitch: "Skift til {name}",
    guideHere: "Du er {name}",
    guideBack: "Forrige trin",
    guideNext: "Næste trin",
    loginTitle: "Denne demo kræver en adgangskode",
    passphrase: "Adgangskode",
    login: "Log ind",
    wrongPassphrase: "Forkert adgangskode.",
  },
  en: {
    skip: "Skip to the message box",
    subtitle: "local web chat",
    actAs: "You are",
    clock: "Move time forward:",
    clockDay: "1 day",
    clockWeek: "1 week",
    dmTitle: "Direct message with MUS-bot",
    dmLabel: "Write to MUS-bot (e.g. mus help)",
    channelLabel: "Write in #{name}",
    send: "Send",
    homeTitle: "Your overview",
    homeRefresh: "Refresh overview",
    homeEmpty: "Your overview appears here.",
    cancel: "Cancel",
    optional: "optional",
    choose: "Choose …",
    onlyYou: "only visible to you",
    connected: "Connected as {name}.",
    reconnecting: "Connection lost; retrying …",
    sendFailed: "Could not send. Please try again.",
    fixFields: "Please correct the marked fields.",
    characters: "{count} of {max} characters",
    admin: "leader",
    download: "Download",
    you: "you",
    clockMoved: "It is now {now}. Reminders sent: {sent}.",
    clockDayLabel: "Move time forward to the next working day at 09:00",
    clockWeekLabel: "Move time a week forward, to a working day at 09:00",
    peopleTitle: "Switch person",
    unread: "{count} unread",
    guideTitle: "Guide",
    guideCount: "step {number} of {count}",
    guideSwitch: "Switch to {name}",
    guideHere: "You are {name}",
    guideBack: "Previous step",
    guideNext: "Next step",
    loginTitle: "This demo needs a passphrase",
    passphrase: "Passphrase",
    login: "Log in",
    wrongPassphrase: "Wrong passphrase.",
  },
};

const state = {
  people: [],
  channels: [],
  clock: false,
  me: null,
  lang: "da",
  source: null,
  panes: new Map(), // pane key -> log element
  form: null, // the open form (as the server sent it)
  controls: new Map(), // input id -> control element(s)
  lastFocus: null,
  closingBySelf: false,
  homeAsked: new Set(),
  unread: {}, // person id -> messages they have not seen
  tour: null, // the guide's current step (as the server sent it)
  started: false,
};

const $ = (selector, root = document) => root.querySelector(selector);

function t(key, values = {}) {
  const text = (CHROME[state.lang] || CHROME.da)[key] ?? CHROME.da[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

// An element with text (never HTML) and attributes.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function uuid() {
  // crypto.randomUUID needs a secure context; a public demo over plain http is not one.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function say(text) {
  $("#connection").textContent = text;
}

// One thing the person did. The id is made once, so a retry is recognised as the same event.
async function send(event) {
  const body = JSON.stringify({ ...event, event_id: uuid(), user: state.me });
  for (let attempt = 0; attempt < 4; attempt += 1) {
    try {
      const response = await fetch("/web/event", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      });
      if (response.ok) return await response.json();
      if (response.status < 500) {
        const problem = await response.json().catch(() => ({}));
        say(problem.error || response.statusText);
        return null;
      }
    } catch (error) {
      // The network failed: send the same event again.
    }
    await sleep(300 * 2 ** attempt);
  }
  say(t("sendFailed"));
  return null;
}

// ------------------------------------------------------------------ neutral blocks

function blockNode(block) {
  switch (block.type) {
    case "heading":
      return el("h3", { text: block.text });
    case "paragraph":
      return el("p", { text: block.text });
    case "quote": {
      const figure = el("figure", { class: "quote" });
      if (block.label) figure.append(el("figcaption", { text: block.label }));
      figure.append(el("blockquote", { text: block.text }));
      return figure;
    }
    case "fields": {
      const list = el("dl", { class: "fields" });
      for (const [label, value] of block.items) {
        list.append(el("div", {}, el("dt", { text: label }), el("dd", { text: value })));
      }
      return list;
    }
    case "bullets": {
      const list = el("ul");
      for (const item of block.items) list.append(el("li", { text: item }));
      return list;
    }
    case "note":
      return el("p", { class: "note", text: block.text });
    case "divider":
      return el("hr");
    default:
      return el("p", { text: block.text ?? "" });
  }
}

function buttonsNode(buttons, where) {
  const row = el("div", { class: "buttons" });
  for (const button of buttons) {
    const node = el("button", {
      type: "button",
      class: `btn ${button.style || "default"}`,
      text: button.label,
      "data-action": button.action,
    });
    node.addEventListener("click", async () => {
      // Not `disabled`: a disabled button drops the focus to the page. Busy is said instead,
      // and a second click meanwhile does nothing.
      if (node.getAttribute("aria-disabled") === "true") return;
      state.lastFocus = node;
      node.setAttribute("aria-disabled", "true");
      try {
        await send({
          kind: "button",
          action: button.action,
          value: button.value,
          message_ref: where.ref,
          pane: where.pane,
        });
      } finally {
        node.removeAttribute("aria-disabled");
        keepFocus(node, where.pane);
      }
    });
    row.append(node);
  }
  return row;
}

// After a bot button: stay on it while it is there; if its message was replaced, the new
// message's first button has the focus already (showEntry); otherwise the pane's text box.
function keepFocus(node, pane) {
  if (document.querySelector("#form-dialog").open) return;
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected) return;
  if (node.isConnected) {
    node.focus();
    return;
  }
  const log = state.panes.get(pane) || state.panes.get("dm");
  const box = log?.closest(".pane")?.querySelector("input[name=text]") || $("#dm-input");
  box.focus();
}

function attachmentsNode(files) {
  const list = el("ul", { class: "attachments" });
  for (const file of files) {
    const size = file.size < 1024 ? `${file.size} B` : `${Math.ceil(file.size / 1024)} kB`;
    list.append(
      el(
        "li",
        {},
        el("a", {
          href: file.url,
          download: file.filename,
          text: `${t("download")}: ${file.title} (${size})`,
        }),
      ),
    );
  }
  return list;
}

function messageNode(entry) {
  const classes = ["msg", entry.author.bot ? "bot" : "person"];
  if (entry.author.id === state.me) classes.push("mine");
  if (entry.only_you) classes.push("only-you");
  const node = el("article", { class: classes.join(" "), "data-ref": entry.ref, tabindex: "-1" });
  const head = el("header", { class: "msg-head" }, el("span", { class: "author", text: entry.author.name }));
  if (entry.only_you) head.append(el("span", { class: "badge", text: t("onlyYou") }));
  node.append(head);
  const body = el("div", { class: "msg-body" });
  if (entry.blocks.length) for (const block of entry.blocks) body.append(blockNode(block));
  else body.append(el("p", { text: entry.text }));
  node.append(body);
  if (entry.attachments.length) node.append(attachmentsNode(entry.attachments));
  if (entry.buttons.length) node.append(buttonsNode(entry.buttons, entry));
  return node;
}

function showEntry(entry) {
  const node = messageNode(entry);
  const old = document.querySelector(`[data-ref="${CSS.escape(entry.ref)}"]`);
  if (old) {
    const hadFocus = old.contains(document.activeElement);
    old.replaceWith(node);
    if (hadFocus) (node.querySelector("button") || node).focus();
    return;
  }
  const log = state.panes.get(entry.pane) || state.panes.get("dm");
  log.append(node);
  log.scrollTop = log.scrollHeight;
}

// ------------------------------------------------------------------ overview

function showHome(view) {
  const body = $("#home-body");
  body.replaceChildren();
  if (!view) {
    body.append(el("p", { class: "note", text: t("homeEmpty") }));
    return;
  }
  for (const block of view.blocks) body.append(blockNode(block));
  if (view.buttons.length) body.append(buttonsNode(view.buttons, { ref: null, pane: "dm" }));
}

// ------------------------------------------------------------------ forms

function fieldNode(input) {
  const id = `f-${state.controls.size}`;
  const hintId = input.hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ");
  const label = input.optional ? `${input.label} (${t("optional")})` : input.label;
  const hint = input.hint ? el("p", { class: "hint", id: hintId, text: input.hint }) : null;
  const error = el("p", { class: "error", id: errorId, hidden: true });

  if (input.kind === "people") {
    const set = el("fieldset", { class: "field people", "data-input": input.id, "aria-describedby": describedBy });
    set.append(el("legend", { text: label }));
    if (hint) set.append(hint);
    const boxes = [];
    const initial = new Set(input.initial || []);
    input.options.forEach((option, i) => {
      const boxId = `${id}-${i}`;
      const box = el("input", { type: "checkbox", id: boxId, value: option.value });
      box.checked = initial.has(option.value);
      boxes.push(box);
      set.append(el("div", { class: "check" }, box, el("label", { for: boxId, text: option.label })));
    });
    set.append(error);
    state.controls.set(input.id, { input, boxes, error, focus: boxes[0], wrap: set });
    return set;
  }

  let control;
  if (input.kind === "text" && input.multiline) control = el("textarea", { rows: 4 });
  else if (input.kind === "date") control = el("input", { type: "date" });
  else if (input.kind === "datetime") control = el("input", { type: "datetime-local" });
  else if (input.kind === "select" || input.kind === "channel") {
    control = el("select");
    if (input.optional || input.initial == null) control.append(el("option", { value: "", text: t("choose") }));
    for (const option of input.options) control.append(el("option", { value: option.value, text: option.label }));
  } else control = el("input", { type: "text" });
  control.id = id;
  control.name = input.id;
  control.setAttribute("aria-describedby", describedBy);
  if (!input.optional) control.setAttribute("aria-required", "true");
  if (input.placeholder) control.placeholder = input.placeholder;
  control.value = input.initial ?? "";
  const wrap = el("div", { class: "field", "data-input": input.id }, el("label", { for: id, text: label }));
  if (hint) wrap.append(hint);
  wrap.append(control);
  if (input.kind === "text" && input.max_length) {
    control.maxLength = input.max_length;
    const counter = el("p", { class: "counter", "aria-hidden": "true" });
    const count = () => {
      counter.textContent = t("characters", { count: control.value.length, max: input.max_length });
    };
    control.addEventListener("input", count);
    count();
    wrap.append(counter);
  }
  wrap.append(error);
  state.controls.set(input.id, { input, control, error, focus: control, wrap });
  return wrap;
}

function formKey(form) {
  return `${form.id}\u0000${form.state}`;
}

function openForm(form) {
  const dialog = $("#form-dialog");
  if (dialog.open && state.form && formKey(state.form) === formKey(form)) return; // keep typing
  if (!dialog.open) state.lastFocus = document.activeElement;
  state.form = form;
  state.controls = new Map();
  $("#form-title").textContent = form.title;
  const intro = $("#form-intro");
  intro.replaceChildren(...form.intro.map(blockNode));
  $("#form-summary").hidden = true;
  $("#form-fields").replaceChildren(...form.inputs.map(fieldNode));
  $("#form-submit").textContent = form.submit_label;
  $("#form-submit").disabled = false;
  if (!dialog.open) dialog.showModal();
  const first = form.inputs.length ? state.controls.get(form.inputs[0].id).focus : $("#form-submit");
  (first || $("#form-submit")).focus();
}

function formValues() {
  const values = {};
  for (const [id, entry] of state.controls) {
    if (entry.boxes) values[id] = entry.boxes.filter((b) => b.checked).map((b) => b.value);
    else values[id] = entry.control.value;
  }
  return values;
}

function clearErrors() {
  $("#form-summary").hidden = true;
  for (const entry of state.controls.values()) {
    entry.error.hidden = true;
    entry.error.textContent = "";
    (entry.control || entry.wrap).removeAttribute("aria-invalid");
  }
}

function showErrors(errors) {
  clearErrors();
  let first = null;
  const unplaced = [];
  for (const [id, message] of Object.entries(errors)) {
    const entry = state.controls.get(id);
    if (!entry) {
      unplaced.push(message);
      continue;
    }
    entry.error.textContent = message;
    entry.error.hidden = false;
    (entry.control || entry.wrap).setAttribute("aria-invalid", "true");
    first = first || entry.focus;
  }
  const summary = $("#form-summary");
  summary.textContent = [t("fixFields"), ...unplaced].join(" ");
  summary.hidden = false;
  $("#form-submit").disabled = false;
  if (first) first.focus();
}

function closeForm({ bySelf }) {
  const dialog = $("#form-dialog");
  state.form = null;
  state.controls = new Map();
  if (dialog.open) {
    state.closingBySelf = bySelf;
    dialog.close();
  }
  // The dialog puts focus back where it was by itself; step in only when that place is gone
  // (a replaced message), and after the dialog has finished closing.
  const back = state.lastFocus;
  setTimeout(() => {
    const target = back && back.isConnected && !back.disabled ? back : $("#dm-input");
    if (document.activeElement === target) target.blur();
    target.focus();
  }, 0);
}

// ------------------------------------------------------------------ the stream

function clearPanes() {
  for (const log of state.panes.values()) log.replaceChildren();
}

function onItem(item) {
  switch (item.type) {
    case "snapshot": {
      const logs = [...state.panes.values()];
      logs.forEach((log) => log.setAttribute("aria-busy", "true"));
      clearPanes();
      for (const entry of item.entries) showEntry(entry);
      logs.forEach((log) => {
        log.removeAttribute("aria-busy");
        log.scrollTop = log.scrollHeight;
      });
      showHome(item.home);
      state.unread = item.unread || {};
      renderPeople();
      if (item.form) openForm(item.form);
      else if ($("#form-dialog").open) closeForm({ bySelf: true });
      if (!item.home && !state.homeAsked.has(state.me)) {
        state.homeAsked.add(state.me);
        send({ kind: "command", text: "hjem", pane: "dm" });
      }
      break;
    }
    case "message":
      showEntry(item);
      break;
    case "unread":
      state.unread = item.counts || {};
      renderPeople();
      break;
    case "tour":
      state.tour = item;
      renderGuide();
      break;
    case "home":
      showHome(item.view);
      break;
    case "form":
      openForm(item.form);
      break;
    case "form_errors":
      if (state.form && state.form.id === item.form) showErrors(item.errors);
      break;
    case "form_closed":
      if (state.form && state.form.id === item.form) closeForm({ bySelf: true });
      break;
    default:
      break;
  }
}

function connect() {
  if (state.source) state.source.close();
  const source = new EventSource(`/web/stream?user=${encodeURIComponent(state.me)}`);
  state.source = source;
  const name = state.people.find((p) => p.id === state.me)?.name ?? state.me;
  source.onopen = () => say(t("connected", { name }));
  source.onerror = () => say(t("reconnecting"));
  source.onmessage = (message) => onItem(JSON.parse(message.data));
}

// ------------------------------------------------------------------ panes and people

function composer(form, pane) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = form.querySelector("input[name=text]");
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    input.focus();
    send({ kind: "message", text, pane });
  });
}

function buildPanes() {
  state.panes = new Map([["dm", $("#dm-log")]]);
  const holder = $("#channel-panes");
  holder.replaceChildren();
  const template = $("#pane-template");
  for (const channel of state.channels.filter((c) => c.members.includes(state.me))) {
    const key = `channel:${channel.id}`;
    const section = template.content.firstElementChild.cloneNode(true);
    const slug = channel.id.replace(/[^A-Za-z0-9_-]/g, "_");
    section.id = `pane-${slug}`;
    section.dataset.pane = key;
    const title = section.querySelector("h2");
    title.id = `title-${slug}`;
    title.textContent = `#${channel.name}`;
    section.setAttribute("aria-labelledby", title.id);
    const log = section.querySelector(".log");
    log.id = `log-${slug}`;
    log.setAttribute("aria-labelledby", title.id);
    const input = section.querySelector("input");
    input.id = `input-${slug}`;
    const label = section.querySelector("label");
    label.htmlFor = input.id;
    label.textContent = t("channelLabel", { name: channel.name });
    section.querySelector("button").textContent = t("send");
    composer(section.querySelector("form"), key);
    holder.append(section);
    state.panes.set(key, log);
  }
}

function applyChrome() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  }
  renderPeople();
  renderGuide();
}

// The person switcher: a select (quick) and a row of buttons with unread markers.
function renderPeople() {
  const select = $("#person");
  const nav = $("#people-nav");
  if (!select || !nav) return;
  nav.replaceChildren();
  for (const person of state.people) {
    const count = state.unread[person.id] || 0;
    const base = person.admin ? `${person.name} (${t("admin")})` : person.name;
    const option = [...select.options].find((o) => o.value === person.id);
    if (option) option.textContent = count ? `${base} – ${t("unread", { count })}` : base;
    const button = el("button", { type: "button", "data-person": person.id, text: person.name });
    if (person.id === state.me) button.setAttribute("aria-current", "true");
    if (count) {
      button.append(
        el("span", { class: "unread", "aria-hidden": "true", text: String(count) }),
        el("span", { class: "visually-hidden", text: ` (${t("unread", { count })})` }),
      );
    }
    button.addEventListener("click", () => {
      actAs(person.id);
      nav.querySelector(`[data-person="${CSS.escape(person.id)}"]`)?.focus();
    });
    nav.append(el("li", {}, button));
  }
}

// The guide panel: what to do next, and a button to become the person who does it.
function renderGuide() {
  const panel = $("#guide");
  const tour = state.tour;
  if (!panel || !tour) return;
  panel.hidden = false;
  $("#guide-count").textContent = `(${t("guideCount", { number: tour.number, count: tour.count })})`;
  $("#guide-text").textContent = tour.text[state.lang] || tour.text.da;
  const switcher = $("#guide-switch");
  const known = state.people.some((p) => p.id === tour.who);
  const here = tour.who === state.me;
  switcher.textContent = here ? t("guideHere", { name: tour.who_name }) : t("guideSwitch", { name: tour.who_name });
  switcher.hidden = !known;
  switcher.setAttribute("aria-disabled", here ? "true" : "false");
  $("#guide-back").disabled = tour.number <= 1;
  $("#guide-next").disabled = tour.number >= tour.count;
}

async function moveTour(move) {
  const response = await fetch("/web/tour", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ move }),
  });
  const result = await response.json().catch(() => ({}));
  if (response.ok && result.type === "tour") {
    state.tour = result;
    renderGuide();
  }
}

function actAs(id) {
  if (!state.people.some((p) => p.id === id)) id = state.people[0].id;
  if ($("#form-dialog").open) closeForm({ bySelf: true });
  state.me = id;
  localStorage.setItem("musbot.webchat.as", id);
  const url = new URL(window.location.href);
  url.searchParams.set("as", id);
  window.history.replaceState(null, "", url);
  const person = state.people.find((p) => p.id === id);
  state.lang = (person.locale || "da").slice(0, 2).toLowerCase() === "en" ? "en" : "da";
  $("#person").value = id;
  applyChrome();
  buildPanes();
  showHome(null);
  connect();
}

async function askPassphrase() {
  const form = $("#login");
  form.hidden = false;
  $("#panes").hidden = true;
  applyChrome();
  $("#passphrase").focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/web/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ passphrase: $("#passphrase").value }),
    });
    if (response.ok) {
      form.hidden = true;
      $("#panes").hidden = false;
      start();
      return;
    }
    const error = $("#login-error");
    error.textContent = t("wrongPassphrase");
    error.hidden = false;
    $("#passphrase").focus();
  }, { once: false });
}

async function start() {
  const response = await fetch("/web/people");
  if (response.status === 401) {
    askPassphrase();
    return;
  }
  if (state.started) return;
  state.started = true;
  const directory = await response.json();
  state.people = directory.people;
  state.channels = directory.channels;
  state.clock = directory.clock;
  const select = $("#person");
  for (const person of state.people) {
    const label = person.admin ? `${person.name} (${t("admin")})` : person.name;
    select.append(el("option", { value: person.id, text: label }));
  }
  select.addEventListener("change", () => actAs(select.value));

  composer($("#pane-dm form"), "dm");
  $("#home-refresh").addEventListener("click", () => send({ kind: "command", text: "hjem", pane: "dm" }));

  const dialog = $("#form-dialog");
  $("#form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!state.form) return;
    const form = state.form;
    clearErrors();
    $("#form-submit").disabled = true;
    await send({ kind: "form", form: form.id, state: form.state, values: formValues(), pane: form.pane });
    if ($("#form-dialog").open) $("#form-submit").disabled = false;
  });
  $("#form-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    // Closed by the person (Cancel, Escape): tell the server, so a reload does not reopen it.
    if (state.closingBySelf) {
      state.closingBySelf = false;
      return;
    }
    const form = state.form;
    if (form) send({ kind: "dismiss", form: form.id, pane: form.pane });
    closeForm({ bySelf: true });
  });

  $("#guide-back").addEventListener("click", () => moveTour("back"));
  $("#guide-next").addEventListener("click", () => moveTour("next"));
  $("#guide-switch").addEventListener("click", () => {
    if (state.tour && state.tour.who !== state.me) actAs(state.tour.who);
    $("#guide-switch").focus();
  });

  if (state.clock) {
    const tools = $("#clock-tools");
    tools.hidden = false;
    for (const button of tools.querySelectorAll("button")) {
      button.addEventListener("click", async () => {
        // The server lands on the next working day at 09:00 (reminders go out in working hours).
        const response = await fetch("/web/clock", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ days: Number(button.dataset.days), land: "working_morning" }),
        });
        const result = await response.json().catch(() => ({}));
        if (!response.ok) {
          say(result.error || response.statusText);
          return;
        }
        const now = new Date(result.now).toLocaleString(state.lang === "en" ? "en-GB" : "da-DK");
        say(t("clockMoved", { now, sent: result.sent ?? 0 }));
      });
    }
  }

  const wanted = new URL(window.location.href).searchParams.get("as")
    || localStorage.getItem("musbot.webchat.as")
    || (state.people.find((p) => p.admin) || state.people[0]).id;
  actAs(wanted);
}

start();
