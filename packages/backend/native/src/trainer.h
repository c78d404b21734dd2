// Masked-diffusion training on the engine's kernels: a forward pass that keeps its activations, the
// backward pass of every operation, global-norm clipping and AdamW. The loss is a weighted
// cross-entropy at the positions the caller chose (the masking policy lives in TypeScript).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model.h"

namespace anneal {

struct TrainTensor {
  std::string key;  // engine key, e.g. "layers.0.q"
  std::vector<int64_t> shape;
  std::vector<float> value, grad, m, v;  // weights, gradients, AdamW moments
  bool decay = false;                    // weight decay applies to matrices only
};

struct TrainBatch {
  int batch = 0;                 // B sequences
  int length = 0;                // of T tokens each
  std::vector<int32_t> inputs;   // [B*T] the noised canvas (mask tokens where the model must predict)
  std::vector<int32_t> targets;  // [B*T] the clean tokens
  std::vector<float> weights;    // [B*T] loss weight per position; 0 = no loss there
};

struct TrainResult {
  double loss = 0;        // sum of weight × cross-entropy
  int64_t counted = 0;    // positions with a loss
  int64_t correct = 0;    // of those, how many the argmax got right
  double grad_norm = 0;   // before clipping (0 when no backward pass ran)
};

struct AdamWParams {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.95f;
  float eps = 1e-8f;
  float weight_decay = 0.1f;
  float clip = 1.0f;  // global gradient-norm limit; 0 disables
};

// Activations and gradient buffers kept from one step to the next (defined in trainer.cpp): allocating
// them afresh each step cost a tenth of the step in page faults and zeroing.
struct TrainWorkspace;

class Trainer {
 public:
  // Random initialisation from `seed` (normal(0, 0.02), residual projections scaled by 1/sqrt(2·layers),
  // norms at 1, biases at 0).
  Trainer(const ModelConfig& config, uint64_t seed, size_t threads);
  // Starts from a checkpoint (fine-tuning).
  Trainer(const ModelConfig& config, const std::vector<std::string>& files,
          const std::map<std::string, TensorSource>& tensors, size_t threads);
  ~Trainer();

  TrainResult step(const TrainBatch& batch, const AdamWParams& params);  // forward, backward, update
  TrainResult gradients(const TrainBatch& batch);                        // forward, backward, no update
  TrainResult evaluate(const TrainBatch& batch);                          // forward only

  std::vector<TrainTensor>& tensors() { return tensors_; }
  TrainTensor& tensor(const std::string& key);
  const ModelConfig& config() const { return config_; }
  int64_t step_count = 0;  // AdamW's t, saved with checkpoints for an exact resume
  std::mutex mutex;        // one operation at a time (the pool runs one job at a time)

 private:
  void build_tensors();
  void update(const AdamWParams& params, double grad_norm);

  // One pass (trainer.cpp): a function for each operation's forward and one for its backward, as
  // llm.c lays a model out; run() calls them in order.
  struct Pass;
  TrainResult run(const TrainBatch& batch, bool backward);
  void check_batch(const TrainBatch& batch) const;
  TrainTensor* bias(const std::string& key);  // the q/k/v bias, when the model has them
  void embedding_forward(const Pass& pass);
  void attention_forward(const Pass& pass, int layer);
  void mlp_forward(const Pass& pass, int layer);
  TrainResult loss_forward(const Pass& pass, bool backward);
  void loss_backward(const Pass& pass);
  void mlp_backward(const Pass& pass, int layer);
  void attention_backward(const Pass& pass, int layer);
  void embedding_backward(const Pass& pass);
  double gradient_norm() const;

  ModelConfig config_;
  const Kernels& kernels_;
  ThreadPool pool_;
  std::vector<TrainTensor> tensors_;
  std::map<std::string, size_t> index_;
  std::unique_ptr<TrainWorkspace> workspace_;
};

}  // namespace anneal
