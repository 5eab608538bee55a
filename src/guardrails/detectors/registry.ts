import type { DetectorPlugin } from './detector.js';
import { keywordsDetector } from './keywords.js';
import { piiDetector } from './pii.js';
import { regexDetector } from './regex.js';
import { secretsDetector } from './secrets.js';

/** The local detectors, by the name a rule's `detector` gives. (`webhook` is a remote check, see webhook-check.ts.) */
export const BUILT_IN_DETECTORS: Readonly<Record<string, DetectorPlugin>> = {
  secrets: secretsDetector,
  pii: piiDetector,
  regex: regexDetector,
  keywords: keywordsDetector,
};
