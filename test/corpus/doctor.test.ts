// The doctor on every real build of ../shared/real-builds: each case's own sdkconfig files
// (as written, and turned into the sdkconfig.h Kconfig writes from them) and its real map.
// Memory protection / the PMP split is reported exactly where the build has it on (the
// table below was read off the files by hand); a build with it off says nothing. On every
// map, ESP-IDF's rule for esp_ringbuf (kept in IRAM) makes that library a resident-library
// error, through the link-map check.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseChipId, type ChipId } from '../../src/core/chips/chips';
import { doctorErrors, runDoctor, type DoctorInput } from '../../src/core/doctor';
import { checkLinkMap } from '../../src/core/link/mapcheck';
import { decodeMapFile } from '../../src/core/mapfile/parse';
import { parseSdkconfig } from '../../src/core/platformio/sdkconfig';
import { parseSdkconfigHeader } from '../../src/core/platformio/sdkconfig-header';
import { corpusAvailable, corpusCases, reportMissingCorpus } from '../helpers/corpus';

/** Per case: the protection options that are on (none: []); undefined: the case has no sdkconfig. */
const EXPECTED: Record<string, string[] | undefined> = {
  c2_native_rylr993: ['CONFIG_ESP_SYSTEM_PMP_IDRAM_SPLIT'],
  esp32_idf_displayoled: [],
  esp32_idf_jsoncpp: [],
  esp32_idf_minisumo: [],
  esp32_idf_robosumo: [],
  esp32_idf_rv32emu: [],
  esp32_idf_spwm: undefined,
  esp32_idf_toic: [],
  esp32_idf_usvpower: [],
  esp32c3_idf_tute: undefined,
  esp32c6_idf_washer: ['CONFIG_ESP_SYSTEM_PMP_IDRAM_SPLIT'],
  esp32cam_idf_demo: [],
  esp32s2_idf_voltmeter: ['CONFIG_ESP_SYSTEM_MEMPROT_FEATURE'],
  esp32s3_idf_oled: ['CONFIG_ESP_SYSTEM_MEMPROT_FEATURE'],
  h2_native_sample: ['CONFIG_ESP_SYSTEM_PMP_IDRAM_SPLIT'],
  s3_native_max14661: [],
};

/** sdkconfig → sdkconfig.h as Kconfig writes it: y → 1, n / unset left out, strings quoted, numbers as they are. */
function toHeader(text: string): string {
  const lines = ['/* Automatically generated file. DO NOT EDIT. */', '#pragma once'];
  for (const [name, value] of parseSdkconfig(text)) {
    if (value === 'n') continue;
    lines.push(`#define ${name} ${value === 'y' ? '1' : /^(0x[0-9a-fA-F]+|-?\d+)$/.test(value) ? value : JSON.stringify(value)}`);
  }
  return lines.join('\n');
}

const input = (chip: ChipId, over: Partial<DoctorInput>): DoctorInput => ({
  env: 'case',
  chip,
  framework: 'espidf',
  libs: ['MyLib'],
  code: 'iram',
  data: 'dram',
  ...over,
});

if (!corpusAvailable()) {
  describe('real-builds corpus', () => {
    reportMissingCorpus();
  });
}

describe.each(corpusCases())('doctor on $name', (c) => {
  const chip = parseChipId(c.chip)!;
  const files = readdirSync(c.dir).filter((f) => f.startsWith('sdkconfig'));

  it('the case is in the table', () => {
    expect(Object.keys(EXPECTED)).toContain(c.name);
    expect(files.length > 0).toBe(EXPECTED[c.name] !== undefined);
  });

  it.each(files)('%s, as sdkconfig and as sdkconfig.h: protection reported exactly where it is on', (file) => {
    const text = readFileSync(join(c.dir, file), 'utf8');
    for (const config of [parseSdkconfig(text), parseSdkconfigHeader(toHeader(text))]) {
      const r = runDoctor(input(chip, { sdkconfig: { config, source: file } }));
      const errors = doctorErrors(r);
      expect(errors.map((f) => f.option)).toEqual(EXPECTED[c.name]);
      for (const f of errors) {
        expect(f.message).toContain(`${f.option}=y`);
        expect(f.fix).toContain(`"# ${f.option} is not set" to sdkconfig.defaults`);
      }
      // The same build on Arduino's precompiled SDK: what still works instead of a menuconfig step.
      const arduino = doctorErrors(runDoctor(input(chip, { framework: 'arduino', sdkconfig: { config, source: file } })));
      for (const f of arduino) expect(f.fix).toContain('platformio.ini cannot change it');
    }
  });

  it("its map: esp_ringbuf is one ESP-IDF keeps in IRAM (the link-map check's rule), a resident-library error", () => {
    const mapText = decodeMapFile(readFileSync(c.mapPath));
    const libs = ['esp_ringbuf'];
    const r = runDoctor(input(chip, { libs, linkWarnings: checkLinkMap(mapText, libs) }));
    const resident = r.findings.filter((f) => f.check === 'resident-library');
    expect(resident).toHaveLength(1);
    expect(resident[0].message).toContain('libesp_ringbuf.a');
    expect(resident[0].fix).toContain('remove it from custom_mm_libs');
  });
});
