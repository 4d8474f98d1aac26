#include "serve/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "serve/http.h"
#include "serve/kserve_tensors.h"
#include "serve/proto/grpc_service.grpc.pb.h"
#include "vit/error.h"

namespace vit::serve {

grpc::StatusCode GrpcCodeFor(int http_status) {
  switch (http_status) {
    case 200: return grpc::StatusCode::OK;
    case 400:
    case 422: return grpc::StatusCode::INVALID_ARGUMENT;
    case 404: return grpc::StatusCode::NOT_FOUND;
    case 413:
    case 429: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case 503: return grpc::StatusCode::UNAVAILABLE;
    case 504: return grpc::StatusCode::DEADLINE_EXCEEDED;
    default: return http_status < 500 ? grpc::StatusCode::INVALID_ARGUMENT : grpc::StatusCode::INTERNAL;
  }
}

namespace {

using Clock = std::chrono::steady_clock;

// The earlier of the server's deadline and the client's (grpc-timeout), on the steady clock.
Clock::time_point Earliest(Clock::time_point server, const grpc::ServerContext& rpc) {
  const auto client = rpc.deadline();
  if (client == std::chrono::system_clock::time_point::max()) return server;
  const auto left = client - std::chrono::system_clock::now();
  const auto client_steady = Clock::now() + std::chrono::duration_cast<Clock::duration>(left);
  return std::min(server, client_steady);
}

}  // namespace

class GrpcServer::Service final : public inference::GRPCInferenceService::Service {
 public:
  explicit Service(ServeContext& context) : context_(context) {}

  grpc::Status ServerLive(grpc::ServerContext*, const inference::ServerLiveRequest*,
                          inference::ServerLiveResponse* response) override {
    return Run("ServerLive", [&] { response->set_live(true); });
  }

  grpc::Status ServerReady(grpc::ServerContext*, const inference::ServerReadyRequest*,
                           inference::ServerReadyResponse* response) override {
    return Run("ServerReady", [&] { response->set_ready(!context_.draining); });
  }

  grpc::Status ModelReady(grpc::ServerContext*, const inference::ModelReadyRequest* request,
                          inference::ModelReadyResponse* response) override {
    return Run("ModelReady", [&] {
      kserve::CheckModel(context_.model(), request->name(), request->version());
      response->set_ready(!context_.draining);
    });
  }

  grpc::Status ServerMetadata(grpc::ServerContext*, const inference::ServerMetadataRequest*,
                              inference::ServerMetadataResponse* response) override {
    return Run("ServerMetadata", [&] {
      response->set_name("vit");
      response->set_version("0.1.0");
    });
  }

  grpc::Status ModelMetadata(grpc::ServerContext*, const inference::ModelMetadataRequest* request,
                             inference::ModelMetadataResponse* response) override {
    return Run("ModelMetadata", [&] {
      const ServedModel& model = context_.model();
      kserve::CheckModel(model, request->name(), request->version());
      response->set_name(model.name);
      response->add_versions(kserve::kModelVersion);
      response->set_platform("vit");
      auto fill = [](inference::ModelMetadataResponse::TensorMetadata* to, const kserve::TensorMetadata& from) {
        to->set_name(from.name);
        to->set_datatype(from.datatype);
        for (int64_t d : from.shape) to->add_shape(d);
      };
      fill(response->add_inputs(), kserve::InputMetadata(model));
      for (const kserve::TensorMetadata& o : kserve::OutputMetadata(model)) fill(response->add_outputs(), o);
    });
  }

  grpc::Status ModelInfer(grpc::ServerContext* rpc, const inference::ModelInferRequest* request,
                          inference::ModelInferResponse* response) override {
    return Run("ModelInfer", [&] { Infer(*rpc, *request, *response); });
  }

 private:
  void Infer(const grpc::ServerContext& rpc, const inference::ModelInferRequest& request,
             inference::ModelInferResponse& response) {
    InFlight in_flight(context_.metrics);
    const ServedModel& model = context_.model();
    kserve::CheckModel(model, request.model_name(), request.model_version());
    const auto admission = context_.inference.Admit();
    const auto deadline = Earliest(context_.inference.Deadline(), rpc);

    if (request.inputs_size() != 1)
      throw Error("inputs: expected one input, BYTES images or FP32 pixel_values; got " +
                      std::to_string(request.inputs_size()),
                  ErrorKind::kInvalidArgument);
    const auto& in = request.inputs(0);
    kserve::InputTensor input;
    input.name = in.name();
    input.datatype = in.datatype();
    input.shape.assign(in.shape().begin(), in.shape().end());
    if (request.raw_input_contents_size() > 0) {
      if (request.raw_input_contents_size() != 1)
        throw Error("raw_input_contents: expected one entry, for the one input; got " +
                        std::to_string(request.raw_input_contents_size()),
                    ErrorKind::kInvalidArgument);
      const std::string& raw = request.raw_input_contents(0);
      input.source = kserve::InputTensor::Source::kRaw;
      input.raw = {reinterpret_cast<const uint8_t*>(raw.data()), raw.size()};
    } else if (in.datatype() == "BYTES") {
      input.source = kserve::InputTensor::Source::kBytesContents;
      for (const std::string& element : in.contents().bytes_contents())
        input.bytes_contents.emplace_back(reinterpret_cast<const uint8_t*>(element.data()), element.size());
    } else {
      input.source = kserve::InputTensor::Source::kFp32Contents;
      input.fp32_contents = {in.contents().fp32_contents().data(),
                             static_cast<size_t>(in.contents().fp32_contents_size())};
    }
    std::vector<std::string> names;
    for (const auto& o : request.outputs()) names.push_back(o.name());
    names = kserve::ResolveOutputs(std::move(names), model.info);

    const std::vector<RowOutput> rows = kserve::RunInput(context_.inference, input, deadline);

    response.set_model_name(model.name);
    response.set_model_version(kserve::kModelVersion);
    response.set_id(request.id());
    for (const std::string& name : names) {
      std::vector<int64_t> shape;
      const std::vector<float> values = kserve::Gather(rows, name, shape);
      auto* out = response.add_outputs();
      out->set_name(name);
      out->set_datatype("FP32");
      for (int64_t d : shape) out->add_shape(d);
      response.add_raw_output_contents(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
    }
  }

  // Runs an RPC's body with the HTTP routes' error handling (Guarded), counts it in the metrics under
  // its gRPC method and the HTTP status it stands for, and answers that status's gRPC code.
  template <typename Body>
  grpc::Status Run(const char* method, Body&& body) {
    const auto start = Clock::now();
    const Response outcome = Guarded(
        [&](const Request&) {
          body();
          return Response::Json("{}");
        },
        Request{}, ErrorStyle::kKServe);
    context_.metrics.ObserveRequest(std::string("/inference.GRPCInferenceService/") + method, outcome.status,
                                    std::chrono::duration<double>(Clock::now() - start).count());
    if (outcome.status == 200) return grpc::Status::OK;
    std::string message = "internal error";
    try {
      message = nlohmann::json::parse(outcome.body).at("error").get<std::string>();
    } catch (const std::exception&) {
    }
    return grpc::Status(GrpcCodeFor(outcome.status), message);
  }

  ServeContext& context_;
};

GrpcServer::GrpcServer(ServeContext& context, const GrpcOptions& options)
    : service_(std::make_unique<Service>(context)) {
  const std::string host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  const std::string address = host + ":" + std::to_string(options.port);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<size_t>(options.max_message_bytes, INT32_MAX)));
  // gRPC sets SO_REUSEPORT by default: a second server on the same port would start without error and
  // silently take half the connections.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  grpc::ResourceQuota quota("vit-serve-grpc");
  quota.SetMaxThreads(std::max(2, options.max_threads));
  builder.SetResourceQuota(quota);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0)
    throw Error("cannot listen for gRPC on " + address + " (address in use or not local?)", ErrorKind::kIo);
}

void GrpcServer::Shutdown(std::chrono::milliseconds grace) {
  std::call_once(shutdown_once_, [&] {
    const auto deadline = std::chrono::system_clock::now() + grace;
    shutdown_thread_ = std::thread([this, deadline] { server_->Shutdown(deadline); });
  });
}

GrpcServer::~GrpcServer() {
  Shutdown(std::chrono::milliseconds(0));
  shutdown_thread_.join();
  server_->Wait();
}

}  // namespace vit::serve
