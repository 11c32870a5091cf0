// Microphone capture: whatever rate the AudioContext runs at -> 16-bit PCM, mono, 24 kHz, in
// chunks of `chunkMs` posted to the page as transferable ArrayBuffers (little-endian samples).
// Resampling is linear interpolation, with a one-pole low-pass in front when downsampling so the
// loudest aliasing is tamed without a real filter bank.

class Pcm16Capture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { targetRate = 24000, chunkMs = 100 } = (options && options.processorOptions) || {};
    this.step = sampleRate / targetRate; // input samples per output sample
    this.smoothing = this.step > 1 ? 1 - Math.exp((-2 * Math.PI * 0.45 * targetRate) / sampleRate) : 1;
    this.filtered = 0;
    this.previous = 0; // last (filtered) input sample of the previous block, at position -1
    this.position = 0; // where the next output sample lies, in input samples from this block's start
    this.chunkSamples = Math.max(1, Math.round((targetRate * chunkMs) / 1000));
    this.newChunk();
    this.port.onmessage = (event) => {
      if (event.data === "flush") this.flush();
    };
  }

  newChunk() {
    this.chunk = new DataView(new ArrayBuffer(this.chunkSamples * 2));
    this.filled = 0;
  }

  flush() {
    if (this.filled === 0) return;
    const buffer = this.chunk.buffer.slice(0, this.filled * 2);
    this.port.postMessage(buffer, [buffer]);
    this.newChunk();
  }

  emit(value) {
    const clamped = Math.max(-1, Math.min(1, value));
    this.chunk.setInt16(this.filled * 2, clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff, true);
    this.filled += 1;
    if (this.filled === this.chunkSamples) {
      const buffer = this.chunk.buffer;
      this.port.postMessage(buffer, [buffer]);
      this.newChunk();
    }
  }

  process(inputs) {
    const channels = inputs[0];
    if (!channels || channels.length === 0 || channels[0].length === 0) return true;
    const length = channels[0].length;
    const block = new Float32Array(length);
    for (const channel of channels) {
      for (let i = 0; i < length; i += 1) block[i] += channel[i] / channels.length;
    }
    for (let i = 0; i < length; i += 1) {
      this.filtered += this.smoothing * (block[i] - this.filtered);
      block[i] = this.filtered;
    }
    let position = this.position;
    while (position <= length - 1) {
      const index = Math.floor(position);
      const fraction = position - index;
      const a = index < 0 ? this.previous : block[index];
      const b = index + 1 < length ? block[index + 1] : a;
      this.emit(a + (b - a) * fraction);
      position += this.step;
    }
    this.position = position - length;
    this.previous = block[length - 1];
    return true;
  }
}

registerProcessor("pcm16-capture", Pcm16Capture);
