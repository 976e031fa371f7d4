// Locating the JVM tools the embedded Kafka broker needs. Every function takes
// the environment as a parameter so tests can pass a PATH without java and see
// the real error, no mocks.
import { accessSync, constants } from 'node:fs'
import { execFile } from 'node:child_process'
import { delimiter, join } from 'node:path'

const INSTALL_JAVA = 'apt-get install -y openjdk-17-jre-headless'
const INSTALL_MAVEN = 'apt-get install -y maven'
const USE_EXISTING = 'or set KAFKA_BROKERS=host:port to use an existing Kafka broker instead'

/** Thrown when a JVM tool is missing or too old; the message says what to install. */
export class ToolNotFoundError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ToolNotFoundError'
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** First executable called `name` on the given PATH string, or undefined. */
export function findOnPath(name: string, pathValue: string | undefined): string | undefined {
  for (const dir of (pathValue ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, name)
    if (isExecutable(candidate)) return candidate
  }
  return undefined
}

/** Path of `java`: $JAVA_HOME/bin/java first, then PATH. Throws ToolNotFoundError. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JAVA_HOME) {
    const fromHome = join(env.JAVA_HOME, 'bin', 'java')
    if (isExecutable(fromHome)) return fromHome
  }
  const onPath = findOnPath('java', env.PATH)
  if (onPath) return onPath
  throw new ToolNotFoundError(
    `Java (17 or newer) was not found on PATH or in JAVA_HOME; the local Kafka broker needs it. ` +
      `Install it with \`${INSTALL_JAVA}\`, ${USE_EXISTING}.`,
  )
}

/** Path of `mvn` (only needed while the Kafka jars are not cached). Throws ToolNotFoundError. */
export function findMaven(env: NodeJS.ProcessEnv = process.env): string {
  const onPath = findOnPath('mvn', env.PATH)
  if (onPath) return onPath
  throw new ToolNotFoundError(
    `Maven (mvn) was not found on PATH; it is needed once to fetch the Kafka jars from Maven Central. ` +
      `Install it with \`${INSTALL_MAVEN}\` (and Java with \`${INSTALL_JAVA}\`), ${USE_EXISTING}.`,
  )
}

/** Major version of the given java binary ("17.0.15" -> 17, "1.8.0_392" -> 8). */
export async function javaMajorVersion(javaPath: string): Promise<number> {
  // `java -version` prints to stderr.
  const output = await new Promise<string>((resolve, reject) => {
    execFile(javaPath, ['-version'], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(error)
      else resolve(`${stderr}${stdout}`)
    })
  })
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output)
  if (!match?.[1]) throw new Error(`cannot read the Java version from: ${output.trim()}`)
  const first = Number(match[1])
  return first === 1 && match[2] ? Number(match[2]) : first
}

/** findJava plus a version check: Kafka 4 brokers need Java 17+. */
export async function findJava17(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const javaPath = findJava(env)
  const major = await javaMajorVersion(javaPath)
  if (major < 17) {
    throw new ToolNotFoundError(
      `${javaPath} is Java ${major}; the local Kafka broker needs Java 17 or newer. ` +
        `Install it with \`${INSTALL_JAVA}\` (and set JAVA_HOME), ${USE_EXISTING}.`,
    )
  }
  return javaPath
}
