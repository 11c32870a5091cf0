// The voice page: microphone -> relay -> model -> speaker, with a live transcript.
//
// It speaks the Realtime GA protocol to the relay on this page's own origin. Configuration:
//   <meta name="agentkit-relay-path" content="realtime">   WebSocket path (relative to the page)
//   ?ws=/other/path                                        the same, from the page's address
//   ?ticket=... or <meta name="agentkit-relay-ticket">     short-lived ticket, sent in the WebSocket
//                                                          subprotocol header (access logs skip it)
//   ?autostart=1                                           start without a click (for tests, kiosks)
// The relay gives each connection a resume token (an `agentkit.resume` event). When the connection
// drops (1006), or the relay restarts (1012, it drains on deploy), the page reconnects with
// ?resume=TOKEN and the conversation goes on, on whichever instance the load balancer picks.
// WebRTC: when the relay takes offers (<meta name="agentkit-relay-webrtc" content="webrtc/offer">) and
// the browser has RTCPeerConnection, the page posts its offer there (the ticket as a Bearer header)
// and the audio goes straight between the browser and the model; the WebSocket is the fallback
// (?transport=websocket forces it). Whether a data channel is opened, and which tool notices the
// page shows from it, is the operator's choice, given in the meta tags the relay writes.
// Tests read and drive `window.agentkitRelay` (state, start, stop, sendText, receive).

const AUDIO_RATE = 24000;
const CHUNK_MS = 100;
const MAX_BUFFERED_BYTES = 1 << 20; // drop microphone audio rather than queue it behind a stalled socket

const params = new URLSearchParams(location.search);
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute("content") || null;
const config = {
  path: params.get("ws") || meta("agentkit-relay-path") || "realtime",
  ticket: params.get("ticket") || meta("agentkit-relay-ticket"),
  autostart: params.get("autostart") === "1",
  webrtcPath: params.get("transport") === "websocket" ? null : meta("agentkit-relay-webrtc"),
  webrtcEvents: meta("agentkit-relay-webrtc-events") === "on",
  toolNotices: JSON.parse(meta("agentkit-relay-tool-notices") || "null"),
};
if (params.has("ticket")) {
  // The ticket is a credential: keep it out of the address bar, history and bookmarks.
  params.delete("ticket");
  const query = params.toString();
  history.replaceState(null, "", location.pathname + (query ? `?${query}` : "") + location.hash);
}

const state = {
  status: "idle", // idle | connecting | connected | closed
  connected: false,
  micActive: false,
  micLevel: 0, // the microphone's loudness now, 0 to 1 (RMS, scaled)
  micPeak: 0, // the loudest it has been since the microphone started
  userSpeaking: false,
  transcript: [], // {id, role: "user" | "assistant", text, interrupted}
  notices: [], // {callId, label, phase: "started" | "finished", ok}
  errors: [],
  truncations: [], // {itemId, audioEndMs}: barge-ins, with the audio actually played
  sentAudioMs: 0,
  droppedAudioMs: 0,
  receivedAudioMs: 0,
  resumable: false, // the relay gave this conversation a resume token
  resumes: 0, // reconnects that continued the conversation
  transport: null, // "webrtc" | "websocket", once connected
  dataChannelEvents: [], // the type of every event that came over the WebRTC data channel
  answerPeak: 0, // the loudest the model's answer has been on the WebRTC audio track, 0 to 1
  answerLoudMs: 0, // how long it has been audible
  get transcriptText() {
    return this.transcript.map((entry) => `${entry.role}: ${entry.text}`).join("\n");
  },
  get playing() {
    return playback.context !== null && playback.playHead > playback.context.currentTime;
  },
  get playedMs() {
    return playedMs();
  },
};

const ui = {
  status: document.getElementById("status"),
  error: document.getElementById("error"),
  start: document.getElementById("start"),
  stop: document.getElementById("stop"),
  transcript: document.getElementById("transcript"),
  notices: document.getElementById("notices"),
  compose: document.getElementById("compose"),
  message: document.getElementById("message"),
  listening: document.getElementById("listening"),
  level: document.getElementById("level"),
};

let socket = null;
let counter = 0;
// The resume token is a credential for the conversation: kept in memory only, never in the page's URL.
const resume = { token: null, attempts: 0, userEnded: false };
const RESUME_CODES = new Set([1006, 1012]);
const MAX_RESUME_ATTEMPTS = 5;
const nextId = (prefix) => `${prefix}_${Date.now().toString(36)}${(counter += 1).toString(36)}`;

// -- connection --------------------------------------------------------------------------------------

function relayUrl() {
  const url = new URL(config.path, location.href);
  if (url.origin !== location.origin) throw new Error("The relay must be on this page's own origin.");
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (resume.token) url.searchParams.set("resume", resume.token);
  return url.href;
}

function relayProtocols() {
  // A ticket in the URL would land in every access log on the way; the subprotocol header does not.
  if (resume.token || !config.ticket) return [];
  return ["agentkit.relay", "agentkit.ticket." + config.ticket];
}

function setStatus(status, text) {
  state.status = status;
  state.connected = status === "connected";
  ui.status.textContent = text;
  ui.start.disabled = status === "connecting" || status === "connected";
  ui.stop.disabled = !ui.start.disabled;
}

function showError(message) {
  state.errors.push(message);
  ui.error.textContent = message;
  ui.error.hidden = false;
}

function send(event) {
  if (rtc.channel) {
    if (rtc.channel.readyState !== "open") return false;
    rtc.channel.send(JSON.stringify(event));
    return true;
  }
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(event));
  return true;
}

function connect() {
  return new Promise((resolve) => {
    setStatus("connecting", "Connecting…");
    try {
      socket = new WebSocket(relayUrl(), relayProtocols());
    } catch (error) {
      setStatus("closed", "Not connected");
      showError(error.message);
      resolve(false);
      return;
    }
    socket.addEventListener("open", () => {
      state.transport = "websocket";
      setStatus("connected", "Connected");
      resolve(true);
    });
    socket.addEventListener("message", (message) => {
      if (typeof message.data !== "string") return;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      handle(event);
    });
    socket.addEventListener("close", (close) => {
      socket = null;
      const hadMicrophone = state.micActive;
      stopMicrophone();
      stopPlayback();
      const reason = close.reason ? `: ${close.reason}` : "";
      setStatus("closed", `Disconnected (${close.code}${reason})`);
      resolve(false);
      if (resume.token && !resume.userEnded && RESUME_CODES.has(close.code)) {
        reconnect(hadMicrophone);
      } else {
        resume.token = null;
        state.resumable = false;
      }
    });
  });
}

async function reconnect(withMicrophone) {
  if (resume.attempts >= MAX_RESUME_ATTEMPTS) {
    resume.token = null;
    state.resumable = false;
    showError("The connection was lost and could not be restored.");
    return;
  }
  resume.attempts += 1;
  setStatus("connecting", "Reconnecting…");
  await new Promise((wait) => setTimeout(wait, 250 * 2 ** (resume.attempts - 1)));
  if (resume.userEnded) return;
  if (await connect()) {
    if (withMicrophone && playback.context) {
      startMicrophone(playback.context).catch((error) => showError(`Microphone unavailable (${error.message}).`));
    }
  }
}

// -- WebRTC ------------------------------------------------------------------------------------------

const rtc = { pc: null, channel: null, stream: null, audio: null, meter: 0, toolCalls: new Map() };
const NO_WEBRTC = "no-webrtc"; // the relay or this browser cannot do it: use the WebSocket instead

function gathered(pc) {
  // The offer goes in one POST (no trickle): wait for the candidates, briefly.
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((done) => {
    const check = () => pc.iceGatheringState === "complete" && done();
    pc.addEventListener("icegatheringstatechange", check);
    setTimeout(done, 2000);
  });
}

async function connectWebRTC(context) {
  if (!config.webrtcPath || typeof RTCPeerConnection === "undefined") return NO_WEBRTC;
  setStatus("connecting", "Connecting…");
  const pc = new RTCPeerConnection();
  rtc.pc = pc;
  try {
    rtc.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    for (const track of rtc.stream.getTracks()) pc.addTrack(track, rtc.stream);
    meterMicrophone(context, rtc.stream);
    if (config.webrtcEvents) {
      rtc.channel = pc.createDataChannel("oai-events");
      rtc.channel.addEventListener("message", (message) => {
        let event;
        try {
          event = JSON.parse(message.data);
        } catch {
          return;
        }
        state.dataChannelEvents.push(event.type);
        handle(event);
        toolNotice(event);
      });
    }
    pc.addEventListener("track", (event) => hearAnswer(context, event.streams[0] || new MediaStream([event.track])));
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "connected") setStatus("connected", "Connected: speak any time");
      if (pc.connectionState === "failed" || pc.connectionState === "closed") endWebRTC("Disconnected");
    });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const headers = { "Content-Type": "application/sdp" };
    if (config.ticket) headers.Authorization = `Bearer ${config.ticket}`;
    const url = new URL(config.webrtcPath, location.href);
    const response = await fetch(url, { method: "POST", body: pc.localDescription.sdp, headers });
    if ([404, 405, 503].includes(response.status)) {
      closeWebRTC();
      return NO_WEBRTC; // the relay takes no offers (now): the WebSocket says whether it takes us
    }
    config.ticket = null; // spent
    if (response.status !== 201) throw new Error((await response.text()).trim() || `HTTP ${response.status}`);
    state.transport = "webrtc";
    await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
    return true;
  } catch (error) {
    closeWebRTC();
    setStatus("closed", "Not connected");
    showError(`Could not start the call (${error.message}).`);
    return false;
  }
}

// The model's answer plays from an audio element; WebAudio measures it, so the page (and a test)
// knows it is actually hearing something.
function hearAnswer(context, stream) {
  rtc.audio = rtc.audio || Object.assign(document.createElement("audio"), { autoplay: true });
  rtc.audio.srcObject = stream;
  document.body.append(rtc.audio);
  rtc.audio.play().catch(() => {});
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let last = performance.now();
  clearInterval(rtc.meter);
  rtc.meter = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let peak = 0;
    for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
    const now = performance.now();
    if (peak > 0.05) state.answerLoudMs += now - last;
    last = now;
    state.answerPeak = Math.max(state.answerPeak, peak);
  }, 20);
}

function meterMicrophone(context, stream) {
  mic.stream = stream;
  mic.source = context.createMediaStreamSource(stream);
  mic.analyser = context.createAnalyser();
  mic.analyser.fftSize = 1024;
  mic.source.connect(mic.analyser);
  state.micActive = true;
  state.micPeak = 0;
  showListening();
  measureLevel();
}

// Tool notices from the data channel's raw events, only when the operator allows them.
function toolNotice(event) {
  if (!config.toolNotices) return;
  const label = (name) => config.toolNotices.labels[name] || config.toolNotices.default || name;
  if (event.type === "response.function_call_arguments.done") {
    const name = event.name || rtc.toolCalls.get(event.call_id) || "";
    rtc.toolCalls.set(event.call_id, name);
    showNotice({ call_id: event.call_id, label: label(name), phase: "started" });
  } else if (event.type === "conversation.item.added" && event.item?.type === "function_call") {
    rtc.toolCalls.set(event.item.call_id, event.item.name);
  } else if (event.type === "conversation.item.added" && event.item?.type === "function_call_output") {
    const name = rtc.toolCalls.get(event.item.call_id);
    if (name !== undefined) showNotice({ call_id: event.item.call_id, label: label(name), phase: "finished", ok: true });
  }
}

function closeWebRTC() {
  clearInterval(rtc.meter);
  rtc.channel?.close();
  rtc.pc?.close();
  for (const track of rtc.stream?.getTracks() || []) track.stop();
  Object.assign(rtc, { pc: null, channel: null, stream: null, meter: 0 });
}

function endWebRTC(text) {
  if (!rtc.pc) return;
  closeWebRTC();
  stopMicrophone();
  state.transport = null;
  setStatus("closed", text);
}

// -- microphone --------------------------------------------------------------------------------------

const mic = { stream: null, source: null, node: null, sink: null, analyser: null, frame: 0 };

async function startMicrophone(context) {
  await context.audioWorklet.addModule(new URL("audio-worklet.js", import.meta.url));
  mic.stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  mic.source = context.createMediaStreamSource(mic.stream);
  mic.node = new AudioWorkletNode(context, "pcm16-capture", {
    processorOptions: { targetRate: AUDIO_RATE, chunkMs: CHUNK_MS },
  });
  mic.node.port.onmessage = (message) => sendAudio(message.data);
  mic.sink = context.createGain();
  mic.sink.gain.value = 0; // the worklet must be pulled by the graph, but nobody wants to hear it
  mic.source.connect(mic.node).connect(mic.sink).connect(context.destination);
  mic.analyser = context.createAnalyser();
  mic.analyser.fftSize = 1024;
  mic.source.connect(mic.analyser);
  state.micActive = true;
  state.micPeak = 0;
  showListening();
  measureLevel();
}

// The level meter: what the microphone picks up now, so a person sees they are being heard.
function measureLevel() {
  if (!mic.analyser) return;
  const samples = new Float32Array(mic.analyser.fftSize);
  mic.analyser.getFloatTimeDomainData(samples);
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  const level = Math.min(1, Math.sqrt(sum / samples.length) * 4);
  state.micLevel = level;
  state.micPeak = Math.max(state.micPeak, level);
  ui.level.value = level;
  mic.frame = requestAnimationFrame(measureLevel);
}

// "Listening" while the microphone is on, "Hearing you" while the model detects speech.
function showListening() {
  const [key, text] = !state.micActive
    ? ["off", "Microphone off"]
    : state.userSpeaking
      ? ["hearing", "Hearing you…"]
      : ["listening", "Listening"];
  ui.listening.dataset.state = key;
  ui.listening.textContent = text;
}

function sendAudio(buffer) {
  const ms = (buffer.byteLength / 2 / AUDIO_RATE) * 1000;
  if (!socket || socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    state.droppedAudioMs += ms;
    return;
  }
  if (send({ type: "input_audio_buffer.append", audio: toBase64(buffer) })) state.sentAudioMs += ms;
}

function stopMicrophone() {
  if (mic.node) mic.node.port.postMessage("flush");
  for (const track of mic.stream?.getTracks() || []) track.stop();
  mic.source?.disconnect();
  mic.node?.disconnect();
  mic.sink?.disconnect();
  mic.analyser?.disconnect();
  cancelAnimationFrame(mic.frame);
  Object.assign(mic, { stream: null, source: null, node: null, sink: null, analyser: null, frame: 0 });
  state.micActive = false;
  state.micLevel = 0;
  ui.level.value = 0;
  showListening();
}

function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64Pcm16(text) {
  const binary = atob(text);
  const samples = new Float32Array(binary.length >> 1);
  for (let i = 0; i < samples.length; i += 1) {
    const value = binary.charCodeAt(2 * i) | (binary.charCodeAt(2 * i + 1) << 8);
    samples[i] = (value >= 0x8000 ? value - 0x10000 : value) / 0x8000;
  }
  return samples;
}

// -- playback and barge-in ----------------------------------------------------------------------------

const playback = {
  context: null,
  playHead: 0, // context time at which the scheduled audio runs out
  sources: new Set(),
  itemId: null,
  contentIndex: 0,
  responseId: null,
  segments: [], // {start, duration} of the current item's scheduled buffers
  interruptedResponseId: null,
};

function playDelta(event) {
  const context = playback.context;
  if (!context || event.response_id === playback.interruptedResponseId) return;
  if (event.item_id !== playback.itemId) {
    Object.assign(playback, { itemId: event.item_id, contentIndex: event.content_index || 0, segments: [] });
  }
  playback.responseId = event.response_id;
  const samples = fromBase64Pcm16(event.delta || "");
  if (samples.length === 0) return;
  state.receivedAudioMs += (samples.length / AUDIO_RATE) * 1000;
  const buffer = context.createBuffer(1, samples.length, AUDIO_RATE);
  buffer.copyToChannel(samples, 0);
  const source = context.createBufferSource();
  source.buffer = buffer;
  source.connect(context.destination);
  const startAt = Math.max(playback.playHead, context.currentTime + 0.05);
  source.start(startAt);
  source.addEventListener("ended", () => playback.sources.delete(source));
  playback.sources.add(source);
  playback.segments.push({ start: startAt, duration: buffer.duration });
  playback.playHead = startAt + buffer.duration;
}

function playedMs() {
  const now = playback.context ? playback.context.currentTime : 0;
  const seconds = playback.segments.reduce(
    (total, segment) => total + Math.min(Math.max(now - segment.start, 0), segment.duration),
    0,
  );
  return Math.round(seconds * 1000);
}

function stopPlayback() {
  for (const source of playback.sources) {
    try {
      source.stop();
    } catch {
      // already stopped
    }
  }
  playback.sources.clear();
  playback.playHead = 0;
}

// The user spoke over the assistant: stop what is still queued and tell the model how much of its
// answer was actually heard, so the conversation matches what the user heard.
function bargeIn() {
  if (!state.playing || !playback.itemId) return;
  const audioEndMs = playedMs();
  stopPlayback();
  playback.interruptedResponseId = playback.responseId;
  const itemId = playback.itemId;
  playback.itemId = null;
  playback.segments = [];
  state.truncations.push({ itemId, audioEndMs });
  send({
    type: "conversation.item.truncate",
    item_id: itemId,
    content_index: playback.contentIndex,
    audio_end_ms: audioEndMs,
  });
  const entry = transcriptEntry(itemId, "assistant");
  entry.interrupted = true;
  render(entry);
}

// -- transcript and notices ----------------------------------------------------------------------------

const entries = new Map(); // item id -> {entry, element}
const unconfirmed = []; // {id, text} of typed messages the server has not echoed yet

// The server's echo of a message typed here: the same id (the relay and the service keep the
// page's), or, from a server that re-ids items, the oldest unconfirmed message with the same text.
// Either way the message is shown once.
function adoptEcho(id, text) {
  const index = unconfirmed.findIndex((typed) => typed.id === id || typed.text === text);
  if (index < 0) return;
  const [typed] = unconfirmed.splice(index, 1);
  if (typed.id !== id && !entries.has(id)) entries.set(id, entries.get(typed.id));
}

function transcriptEntry(id, role) {
  let known = entries.get(id);
  if (!known) {
    const entry = { id, role, text: "", interrupted: false };
    const element = document.createElement("li");
    element.className = role;
    state.transcript.push(entry);
    ui.transcript.append(element);
    known = { entry, element };
    entries.set(id, known);
  }
  return known.entry;
}

function render(entry) {
  const element = entries.get(entry.id).element;
  element.textContent = entry.text + (entry.interrupted ? " …" : "");
  element.setAttribute("aria-label", `${entry.role === "user" ? "You" : "Assistant"}: ${element.textContent}`);
  element.scrollIntoView({ block: "nearest" });
}

function setText(id, role, text, append = false) {
  const entry = transcriptEntry(id, role);
  entry.text = append ? entry.text + text : text;
  render(entry);
}

function showNotice(event) {
  let notice = state.notices.find((n) => n.callId === event.call_id);
  if (!notice) {
    notice = { callId: event.call_id, label: event.label, phase: event.phase, ok: null, element: null };
    notice.element = document.createElement("li");
    state.notices.push(notice);
    ui.notices.append(notice.element);
  }
  notice.phase = event.phase;
  notice.ok = event.ok ?? null;
  notice.element.className = event.phase === "started" ? "running" : notice.ok === false ? "failed" : "done";
  const suffix = event.phase === "started" ? "…" : notice.ok === false ? " (failed)" : " ✓";
  notice.element.textContent = `${notice.label}${suffix}`;
}

// -- server events ---------------------------------------------------------------------------------------

function userItemText(item) {
  return (item.content || [])
    .map((part) => (part.type === "input_text" ? part.text : part.transcript) || "")
    .join("");
}

function handle(event) {
  switch (event.type) {
    case "session.created":
      setStatus("connected", state.micActive ? "Connected: speak any time" : "Connected");
      break;
    case "input_audio_buffer.speech_started":
      state.userSpeaking = true;
      showListening();
      bargeIn();
      break;
    case "input_audio_buffer.speech_stopped":
      state.userSpeaking = false;
      showListening();
      break;
    case "input_audio_buffer.committed":
      transcriptEntry(event.item_id, "user");
      break;
    case "conversation.item.added":
    case "conversation.item.created":
      if (event.item && event.item.type === "message" && event.item.id) {
        const role = event.item.role === "user" ? "user" : "assistant";
        const text = role === "user" ? userItemText(event.item) : "";
        if (role === "user") adoptEcho(event.item.id, text);
        if (text) setText(event.item.id, role, text);
        else transcriptEntry(event.item.id, role);
      }
      break;
    case "conversation.item.input_audio_transcription.delta":
      setText(event.item_id, "user", event.delta || "", true);
      break;
    case "conversation.item.input_audio_transcription.completed":
      setText(event.item_id, "user", event.transcript || "");
      break;
    case "response.output_audio.delta":
      playDelta(event);
      break;
    case "response.output_audio_transcript.delta":
    case "response.output_text.delta":
      if (event.response_id !== playback.interruptedResponseId) {
        setText(event.item_id, "assistant", event.delta || "", true);
      }
      break;
    case "response.output_audio_transcript.done":
      if (event.response_id !== playback.interruptedResponseId) {
        setText(event.item_id, "assistant", event.transcript || "");
      }
      break;
    case "response.output_text.done":
      setText(event.item_id, "assistant", event.text || "");
      break;
    case "agentkit.tool_activity":
      showNotice(event);
      break;
    case "agentkit.resume":
      if (event.resumed) state.resumes += 1;
      resume.token = event.token || null;
      resume.attempts = 0;
      state.resumable = Boolean(resume.token);
      config.ticket = null; // spent by the first connection: reconnects use the resume token
      break;
    case "error":
      showError((event.error && event.error.message) || "Something went wrong.");
      break;
    default:
      break;
  }
}

// -- actions -----------------------------------------------------------------------------------------------

async function start() {
  if (state.status === "connecting" || state.status === "connected") return;
  resume.userEnded = false;
  ui.error.hidden = true;
  playback.context = playback.context || new AudioContext({ latencyHint: "interactive" });
  // Not awaited: without a user gesture (autostart) browsers may keep this pending indefinitely.
  playback.context.resume().catch(() => {});
  const overWebRTC = await connectWebRTC(playback.context);
  if (overWebRTC !== NO_WEBRTC) return;
  const microphone = startMicrophone(playback.context).catch((error) => {
    showError(`Microphone unavailable (${error.message}); you can still type.`);
  });
  const connected = await connect();
  await microphone;
  if (connected) setStatus("connected", state.micActive ? "Connected: speak any time" : "Connected");
}

function stop() {
  resume.userEnded = true;
  resume.token = null;
  state.resumable = false;
  endWebRTC("Not connected");
  stopMicrophone();
  stopPlayback();
  if (socket) socket.close(1000, "user ended the conversation");
}

function sendText(text) {
  const trimmed = (text || "").trim();
  if (!trimmed) return false;
  const id = nextId("msg");
  const item = { type: "message", role: "user", id, content: [{ type: "input_text", text: trimmed }] };
  if (!send({ type: "conversation.item.create", item })) {
    showError("Not connected.");
    return false;
  }
  send({ type: "response.create" });
  unconfirmed.push({ id, text: trimmed });
  setText(id, "user", trimmed);
  return true;
}

ui.start.addEventListener("click", () => start());
ui.stop.addEventListener("click", () => stop());
ui.compose.addEventListener("submit", (submit) => {
  submit.preventDefault();
  if (sendText(ui.message.value)) ui.message.value = "";
});

window.agentkitRelay = {
  state,
  config: {
    path: config.path,
    autostart: config.autostart,
    webrtcPath: config.webrtcPath,
    webrtcEvents: config.webrtcEvents,
    toolNotices: config.toolNotices !== null,
  },
  start,
  stop,
  sendText,
  receive: handle, // a server event, as if it came from the relay (tests)
};
if (config.autostart) start();
