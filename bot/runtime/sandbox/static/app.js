// The sandbox page: draws the workspace the server pushes over /api/live, and turns what the
// person does into the server's few POST routes (each becomes what Slack would send the bot).
"use strict";

const { el } = Markup;
const CONTENT_BLOCKS = new Set(["section", "markdown", "header", "rich_text", "context", "image"]);

const state = {
  snapshot: null,
  channel: null, // id of the conversation shown
  thread: null, // ts of the open thread, or null
  tab: "messages", // or "home", on the app's own conversation
  viewed: null, // id of the last channel (not the app) shown: what a new pane chat sits beside
  menu: null, // ts of the message whose ⋮ menu is open, or null
  copied: null, // the link "Copy link" copied last, shown until the next action
};

// ---------------------------------------------------------------- talking to the server

async function post(path, body) {
  const init = { method: "POST" };
  if (body instanceof FormData) init.body = body;
  else {
    init.body = JSON.stringify(body || {});
    init.headers = { "Content-Type": "application/json" };
  }
  const response = await fetch(path, init);
  if (!response.ok) throw new Error(await response.text());
  return response.json();
}

function connect() {
  const status = document.getElementById("connection");
  const socket = new WebSocket(`ws://${location.host}/api/live`);
  socket.onopen = () => {
    status.textContent = "connected";
    status.className = "connection ok";
  };
  socket.onmessage = (event) => {
    state.snapshot = JSON.parse(event.data);
    render();
  };
  socket.onclose = () => {
    status.textContent = "disconnected: is `bot sandbox` still running? Retrying…";
    status.className = "connection lost";
    setTimeout(connect, 1000);
  };
}

// ---------------------------------------------------------------- drawing

function render() {
  const snap = state.snapshot;
  if (!snap) return;
  if (!state.channel) state.channel = snap.channels[0].id;
  document.getElementById("team").textContent = snap.team;
  renderSidebar(snap);
  const channel = snap.channels.find((c) => c.id === state.channel);
  const home = channel.is_im && state.tab === "home";
  if (!channel.is_im) state.viewed = channel.id;
  document.getElementById("title").textContent = channel.is_im ? channel.name : "# " + channel.name;
  document.getElementById("tabs").hidden = !channel.is_im;
  document.getElementById("new-chat").hidden = !channel.is_im;
  document.getElementById("tab-messages").classList.toggle("active", !home);
  document.getElementById("tab-home").classList.toggle("active", home);
  document.getElementById("messages").hidden = home;
  document.getElementById("composer").hidden = home;
  document.getElementById("home").hidden = !home;
  document.getElementById("composer").querySelector("textarea").placeholder = channel.is_im
    ? "Message Claude — /claude help for commands, paste or drop files"
    : `Message #${channel.name} — @Claude to mention, /claude help for commands, paste or drop files`;
  const copied = document.getElementById("copied");
  copied.hidden = !state.copied;
  copied.textContent = state.copied ? `Link copied: ${state.copied}` : "";
  if (home) renderHome(snap);
  else renderChannel(snap);
  renderThread(snap);
  renderModal(snap);
}

// Redrawn only when the view itself changes, so a push mid-typing doesn't wipe the field.
let shownModal = "";
function renderModal(snap) {
  const backdrop = document.getElementById("modal");
  const key = snap.modal ? JSON.stringify(snap.modal) : "";
  if (key === shownModal) return;
  shownModal = key;
  backdrop.hidden = !snap.modal;
  if (!snap.modal) return;
  const { view, errors } = snap.modal;
  const plain = (part, fallback) => (part && part.text) || fallback;
  document.getElementById("modal-title").textContent = plain(view.title, "");
  document.getElementById("modal-close").textContent = plain(view.close, view.submit ? "Cancel" : "Close");
  const submit = document.getElementById("modal-submit");
  submit.hidden = !view.submit;
  submit.textContent = plain(view.submit, "Submit");
  const body = document.getElementById("modal-body");
  body.replaceChildren(Markup.blocks(view.blocks, snap.names, null));
  for (const [blockId, message] of Object.entries(errors || {})) {
    const control = body.querySelector(`[data-block-id="${CSS.escape(blockId)}"]`);
    if (control) control.after(el("span", "error", message));
  }
  const first = body.querySelector("textarea, input");
  if (first) first.focus();
}

function renderSidebar(snap) {
  const channels = document.getElementById("channels");
  const apps = document.getElementById("apps");
  channels.replaceChildren();
  apps.replaceChildren();
  for (const channel of snap.channels) {
    const item = el("button", "nav-item" + (channel.id === state.channel ? " active" : ""));
    item.type = "button";
    item.textContent = channel.is_im ? "✳ " + channel.name : "# " + channel.name;
    item.addEventListener("click", () => {
      state.channel = channel.id;
      state.thread = null;
      state.tab = "messages";
      render();
    });
    (channel.is_im ? apps : channels).append(item);
  }
}

function keepScrolled(container, draw) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  draw();
  if (atBottom) container.scrollTop = container.scrollHeight;
}

// Messages and the notes only this person sees, in time order: Slack shows a note where it arrived.
function inTimeOrder(messages, notes) {
  return [...messages.map((m) => ({ message: m })), ...notes.map((n) => ({ note: n }))].sort((a, b) =>
    compareTs((a.message || a.note).ts, (b.message || b.note).ts),
  );
}

function compareTs(a, b) {
  const [aSeconds, aMicros] = a.split(".").map(Number);
  const [bSeconds, bMicros] = b.split(".").map(Number);
  return aSeconds - bSeconds || aMicros - bMicros;
}

function renderChannel(snap) {
  const container = document.getElementById("messages");
  keepScrolled(container, () => {
    container.replaceChildren();
    const messages = snap.messages[state.channel] || [];
    const top = messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
    const notes = snap.ephemeral.filter((e) => e.channel === state.channel && !e.thread_ts);
    if (!top.length && !notes.length) {
      container.append(el("div", "empty", "No messages yet. Say hello to @Claude."));
    }
    for (const { message, note } of inTimeOrder(top, notes)) {
      if (note) {
        container.append(ephemeralNode(snap, note));
        continue;
      }
      const node = messageNode(snap, message, { inThread: false });
      const status = thinking(snap, state.channel, message.ts);
      if (message.reply_count || status) {
        const link = el("button", "replies");
        link.type = "button";
        link.textContent = message.reply_count
          ? `${message.reply_count} ${message.reply_count === 1 ? "reply" : "replies"}`
          : "View thread";
        if (status) link.textContent += ` · ${snap.names[snap.bot]} ${status}`;
        link.addEventListener("click", () => openThread(message.ts));
        node.querySelector(".body").append(link);
      }
      container.append(node);
    }
  });
}

function renderThread(snap) {
  const pane = document.getElementById("thread");
  const messages = (snap.messages[state.channel] || []).filter(
    (m) => m.ts === state.thread || m.thread_ts === state.thread,
  );
  pane.hidden = !state.thread || state.tab === "home" || !messages.length;
  if (pane.hidden) return;
  const chat = snap.panes.find((p) => p.channel === state.channel && p.thread_ts === state.thread);
  document.getElementById("thread-title").textContent = chat ? chat.title || "New chat" : "Thread";
  const container = document.getElementById("thread-messages");
  const notes = snap.ephemeral.filter((e) => e.channel === state.channel && e.thread_ts === state.thread);
  keepScrolled(container, () => {
    container.replaceChildren();
    inTimeOrder(messages, notes).forEach(({ message, note }, i) => {
      if (note) {
        container.append(ephemeralNode(snap, note));
        return;
      }
      container.append(messageNode(snap, message, { inThread: true }));
      if (i === 0 && messages.length > 1) {
        const count = messages.length - 1;
        container.append(el("div", "divider", `${count} ${count === 1 ? "reply" : "replies"}`));
      }
    });
    // Slack offers the prompts until the person asks something of their own.
    const asked = messages.slice(1).some((m) => m.user === snap.me);
    if (chat && chat.prompts && !asked) container.append(suggestionsNode(chat.prompts));
    const status = thinking(snap, state.channel, state.thread);
    if (status) container.append(el("div", "thinking", `${snap.names[snap.bot]} ${status}`));
  });
}

function suggestionsNode(prompts) {
  const node = el("div", "suggestions");
  if (prompts.title) node.append(el("div", "hint", prompts.title));
  for (const prompt of prompts.items) {
    const chip = el("button", "suggestion", prompt.title);
    chip.type = "button";
    chip.title = prompt.message;
    chip.addEventListener("click", () => ask(prompt.message));
    node.append(chip);
  }
  return node;
}

function renderHome(snap) {
  const home = document.getElementById("home");
  home.replaceChildren();
  if (!snap.home) {
    home.append(
      el("div", "empty", "No App Home published: the bot hasn't called views.publish for you (yet)."),
    );
    return;
  }
  home.append(Markup.blocks(snap.home.blocks, snap.names, null));
}

function thinking(snap, channel, ts) {
  const entry = snap.thinking.find((t) => t.channel === channel && t.thread_ts === ts);
  return entry ? entry.status : null;
}

function messageNode(snap, message, { inThread }) {
  const isBot = message.user === snap.bot;
  const node = el("article", "message" + (isBot ? " from-bot" : ""));
  node.dataset.ts = message.ts;
  node.append(el("div", "avatar", isBot ? "✳" : (snap.names[message.user] || "?").slice(0, 1).toUpperCase()));
  const body = el("div", "body");
  const meta = el("div", "meta");
  meta.append(el("span", "author", snap.names[message.user] || message.user || "unknown"));
  if (isBot) meta.append(el("span", "badge", "APP"));
  if (message.streaming) meta.append(el("span", "live", "writing…"));
  else if (message.edited) meta.append(el("span", "edited", "(edited)"));
  body.append(meta);
  body.append(content(snap, message));
  if (message.files.length) body.append(filesNode(message.files));
  node.append(moreActions(snap, message));
  if (!inThread) {
    const reply = el("button", "reply-action", "Reply in thread");
    reply.type = "button";
    reply.addEventListener("click", () => openThread(message.ts));
    node.append(reply);
  }
  node.append(body);
  return node;
}

// A message's ⋮ menu, as Slack's: "Copy link", then the app's message shortcuts.
function moreActions(snap, message) {
  const wrapper = el("div", "more");
  const toggle = el("button", "more-action", "⋮");
  toggle.type = "button";
  toggle.title = "More actions";
  toggle.addEventListener("click", () => {
    state.menu = state.menu === message.ts ? null : message.ts;
    render();
  });
  wrapper.append(toggle);
  if (state.menu === message.ts) {
    const menu = el("div", "menu");
    menu.setAttribute("role", "menu");
    const item = (label, action) => {
      const button = el("button", "menu-item", label);
      button.type = "button";
      button.setAttribute("role", "menuitem");
      button.addEventListener("click", async () => {
        state.menu = null;
        render();
        await action();
      });
      menu.append(button);
    };
    item("Copy link", () => copyLink(message));
    for (const shortcut of snap.shortcuts) {
      item(shortcut.name, () =>
        post("/api/shortcuts", { channel: state.channel, ts: message.ts, callback_id: shortcut.callback_id }),
      );
    }
    wrapper.append(menu);
  }
  return wrapper;
}

async function copyLink(message) {
  const { permalink } = await post("/api/permalink", { channel: state.channel, ts: message.ts });
  state.copied = permalink;
  try {
    await navigator.clipboard.writeText(permalink);
  } catch {
    // No clipboard permission (a headless browser, say): the link is shown to copy by hand.
  }
  render();
}

// Slack shows blocks instead of the text, unless the blocks are only controls (buttons under
// a streamed answer): then the text and the controls.
function content(snap, message) {
  const wrapper = el("div", "content");
  const blocks = message.blocks || [];
  const hasContent = blocks.some((b) => CONTENT_BLOCKS.has(b.type));
  if (!hasContent && message.text) {
    wrapper.append(Markup.text(message.text, snap.names, message.user === snap.bot ? "markdown" : "mrkdwn"));
  }
  if (blocks.length) {
    const onClick = (button, block) => click(message, button, block);
    wrapper.append(Markup.blocks(blocks, snap.names, onClick, message.pressed));
  }
  return wrapper;
}

function ephemeralNode(snap, note) {
  const fromBot = note.from === snap.bot;
  const node = el("article", "message ephemeral" + (fromBot ? " from-bot" : " from-slackbot"));
  node.dataset.ts = note.ts;
  node.append(el("div", "avatar", fromBot ? "✳" : "✱"));
  const body = el("div", "body");
  const meta = el("div", "meta");
  meta.append(el("span", "author", snap.names[note.from] || note.from));
  if (fromBot) meta.append(el("span", "badge", "APP"));
  meta.append(el("span", "only-you", "Only visible to you"));
  body.append(meta);
  body.append(
    note.blocks && note.blocks.length
      ? Markup.blocks(note.blocks, snap.names, null)
      : Markup.text(note.text, snap.names, "mrkdwn"),
  );
  node.append(body);
  return node;
}

function filesNode(files) {
  const list = el("div", "files");
  for (const file of files) {
    if (/^image\/(png|jpeg|gif|webp)$/.test(file.mimetype)) {
      const img = el("img", "thumb");
      img.src = file.url;
      img.alt = file.name;
      img.title = file.name;
      list.append(img);
    } else {
      const a = el("a", "file", "📄 " + file.name);
      a.href = file.url;
      list.append(a);
    }
  }
  return list;
}

// ---------------------------------------------------------------- acting

function openThread(ts) {
  state.thread = ts;
  render();
  document.querySelector("#thread-composer textarea").focus();
}

// "New chat" in the AI app pane: Slack starts a thread in the app's conversation, beside the
// channel the person was in.
async function newChat() {
  const { ts } = await post("/api/new-chat", { context: state.viewed });
  state.tab = "messages";
  openThread(ts);
}

async function ask(text) {
  const data = new FormData();
  data.append("channel", state.channel);
  data.append("thread_ts", state.thread);
  data.append("text", text);
  await post("/api/messages", data);
}

async function click(message, button, block) {
  await post("/api/actions", {
    channel: state.channel,
    ts: message.ts,
    action_id: button.action_id,
    element_type: button.type || "button",
    value: button.value || "",
    block_id: block.block_id || "",
  });
}

function setUpComposer(form, threadTs) {
  const textarea = form.querySelector("textarea");
  const input = form.querySelector("input[type=file]");
  const chips = form.querySelector(".attachments");
  let files = [];

  const drawChips = () => {
    chips.replaceChildren();
    files.forEach((file, i) => {
      const chip = el("span", "chip", (file.type.startsWith("image/") ? "🖼 " : "📄 ") + file.name);
      const remove = el("button", "remove", "×");
      remove.type = "button";
      remove.title = "Remove";
      remove.addEventListener("click", () => {
        files.splice(i, 1);
        drawChips();
      });
      chip.append(remove);
      chips.append(chip);
    });
  };
  const add = (list) => {
    files = files.concat(Array.from(list));
    drawChips();
  };

  input.addEventListener("change", () => {
    add(input.files);
    input.value = "";
  });
  textarea.addEventListener("paste", (event) => {
    const pasted = Array.from(event.clipboardData.files || []);
    if (pasted.length) {
      event.preventDefault();
      add(pasted);
    }
  });
  const pane = form.parentElement;
  pane.addEventListener("dragover", (event) => {
    event.preventDefault();
    pane.classList.add("dropping");
  });
  pane.addEventListener("dragleave", () => pane.classList.remove("dropping"));
  pane.addEventListener("drop", (event) => {
    event.preventDefault();
    pane.classList.remove("dropping");
    add(event.dataTransfer.files);
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = textarea.value;
    if (!text.trim() && !files.length) return;
    const send = form.querySelector(".send");
    send.disabled = true;
    try {
      if (text.trim().startsWith("/") && !files.length) {
        await post("/api/commands", { channel: state.channel, thread_ts: threadTs(), text: text.trim() });
      } else {
        const data = new FormData();
        data.append("channel", state.channel);
        data.append("text", text);
        const thread = threadTs();
        if (thread) data.append("thread_ts", thread);
        files.forEach((file) => data.append("file", file, file.name));
        await post("/api/messages", data);
      }
      textarea.value = "";
      files = [];
      drawChips();
    } catch (error) {
      alert("The sandbox refused that: " + error.message);
    } finally {
      send.disabled = false;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpComposer(document.getElementById("composer"), () => null);
  setUpComposer(document.getElementById("thread-composer"), () => state.thread);
  document.getElementById("close-thread").addEventListener("click", () => {
    state.thread = null;
    render();
  });
  document.getElementById("tab-messages").addEventListener("click", () => {
    state.tab = "messages";
    render();
  });
  document.getElementById("new-chat").addEventListener("click", newChat);
  document.getElementById("tab-home").addEventListener("click", async () => {
    state.tab = "home";
    state.thread = null;
    render();
    await post("/api/home");
  });
  document.getElementById("modal-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const control of document.querySelectorAll("#modal-body [data-action-id]")) {
      const block = (values[control.dataset.blockId] = values[control.dataset.blockId] || {});
      block[control.dataset.actionId] = control.value === "" ? null : control.value;
    }
    await post("/api/modal", { values });
  });
  for (const cancel of document.querySelectorAll(".modal-cancel")) {
    cancel.addEventListener("click", () => post("/api/modal", { close: true }));
  }
  connect();
});
