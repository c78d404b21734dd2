#!/usr/bin/env node
// anneal-pull: runs the built program (dist/ is made by `pnpm build`); this file exists before the build,
// so installing never links a bin to a missing file.
import "../dist/bin/pull.js";
