/** The ingest pipeline `longwatch serve` mounts: see pipeline.ts. */
export { type IngestFormat, type IngestOrigin, type IngestResult, type Pipeline, type PipelineDeps, type PipelineLog, createPipeline } from "./pipeline.ts";
export { type PipelineConfig, type PipelineConfigInput, type PipelineFlags, PipelineConfigSchema, pipelineConfig } from "./config.ts";
export { type PipelineMetrics, renderPrometheus } from "./metrics.ts";
export { formatOf } from "./media-types.ts";
