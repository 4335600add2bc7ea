/** The setup the client tests share: a test collector and the fake OpenAI server, started before and closed after. */
import { afterAll, beforeAll } from 'vitest';
import { startTestCollector, type TestCollector } from './collector.js';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';

/** Call inside a describe(): registers the hooks; `rig.c` and `rig.fake` are set once beforeAll ran. */
export function collectorWithFakeOpenAI(): { c: TestCollector; fake: FakeOpenAI } {
  const rig = {} as { c: TestCollector; fake: FakeOpenAI };
  beforeAll(async () => {
    rig.c = await startTestCollector();
    rig.fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await rig.c?.close();
    await rig.fake?.close();
  });
  return rig;
}
