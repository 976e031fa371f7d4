// Steady uploads through the gateway, every answer recorded with its time, so a
// phase can be judged by what clients saw (the storage drill, a pod deleted, an upgrade).
import { type Api, songFor } from './soundline.js'
import { sleep } from './kube.js'

export interface Outcome {
  at: number
  ms: number
  status: number // 0: no answer (connection refused, reset, timeout)
  id?: number
  error?: string
}

export class UploadLoad {
  readonly outcomes: Outcome[] = []
  private running = false
  private loop: Promise<void> = Promise.resolve()
  private readonly inflight = new Set<Promise<void>>()

  constructor(
    private readonly api: Api,
    private readonly run: string,
    private readonly perSecond: number,
  ) {}

  start(): void {
    this.running = true
    this.loop = (async () => {
      const every = 1000 / this.perSecond
      let next = Date.now()
      for (let i = 0; this.running; i++) {
        const call = this.one(i)
        this.inflight.add(call)
        void call.finally(() => this.inflight.delete(call))
        next += every
        await sleep(Math.max(0, next - Date.now()))
      }
    })()
  }

  async stop(): Promise<Outcome[]> {
    this.running = false
    await this.loop
    await Promise.all([...this.inflight])
    return this.outcomes
  }

  get failed(): Outcome[] {
    return this.outcomes.filter((o) => o.status !== 200)
  }

  get ids(): number[] {
    return this.outcomes.flatMap((o) => (o.id === undefined ? [] : [o.id]))
  }

  private async one(index: number): Promise<void> {
    const { bytes } = songFor(index, this.run)
    const started = Date.now()
    try {
      const res = await this.api.upload(bytes)
      this.outcomes.push({ at: started, ms: Date.now() - started, status: res.status, id: res.id, error: res.status === 200 ? undefined : res.body.slice(0, 200) })
    } catch (error) {
      this.outcomes.push({ at: started, ms: Date.now() - started, status: 0, error: String(error) })
    }
  }
}

/** Waits until every id is PERMANENT; returns the ids that are not after `timeoutMs`. */
export async function notPermanentAfter(api: Api, ids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let pending = [...ids]
  while (pending.length > 0 && Date.now() < deadline) {
    const states = await Promise.all(pending.map(async (id) => [id, await api.state(id).catch(() => undefined)] as const))
    pending = states.filter(([, state]) => state !== 'PERMANENT').map(([id]) => id)
    if (pending.length > 0) await sleep(1000)
  }
  return pending
}
