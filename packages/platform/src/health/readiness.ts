import type { FastifyInstance } from 'fastify'

export type ComponentStatus = 'UP' | 'DOWN' | 'DEGRADED'

export interface ComponentHealth {
  status: ComponentStatus
  details?: Record<string, unknown>
}

export interface HealthComponent {
  /** Key under `components`: db, s3, kafka, circuits, … */
  name: string
  /**
   * A hard dependency's DOWN makes the service DOWN (503). A soft one —
   * covered by a fallback — only makes it DEGRADED (200).
   */
  critical: boolean
  check(): Promise<ComponentHealth>
}

export interface ReadinessReport {
  status: ComponentStatus
  components: Record<string, ComponentHealth>
}

const CHECK_TIMEOUT_MS = 2_000

async function runCheck(component: HealthComponent): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<ComponentHealth>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'DOWN', details: { error: `no answer within ${CHECK_TIMEOUT_MS} ms` } }), CHECK_TIMEOUT_MS)
  })
  try {
    return await Promise.race([component.check(), timeout])
  } catch (error) {
    return { status: 'DOWN', details: { error: (error as Error).message } }
  } finally {
    clearTimeout(timer)
  }
}

export class Readiness {
  private readonly components: HealthComponent[] = []
  private draining = false

  register(component: HealthComponent): void {
    this.components.push(component)
  }

  /** Once shutdown starts, report not-ready so load balancers stop sending traffic. */
  markDraining(): void {
    this.draining = true
  }

  get isDraining(): boolean {
    return this.draining
  }

  async report(): Promise<ReadinessReport> {
    const results = await Promise.all(this.components.map(async (c) => [c, await runCheck(c)] as const))
    const components: Record<string, ComponentHealth> = {}
    let status: ComponentStatus = this.draining ? 'DOWN' : 'UP'
    for (const [component, health] of results) {
      components[component.name] = health
      if (health.status === 'DOWN' && component.critical) status = 'DOWN'
      else if (health.status !== 'UP' && status === 'UP') status = 'DEGRADED'
    }
    return { status, components }
  }
}

export function installHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  const opts = { schema: { hide: true }, logLevel: 'warn' as const }
  app.get('/health/live', opts, async () => ({ status: 'UP' }))
  app.get('/health/ready', opts, async (_request, reply) => {
    const report = await readiness.report()
    return reply.code(report.status === 'DOWN' ? 503 : 200).send(report)
  })
}
