# Every dependency comes from Debian's packages (scripts/setup installs them).
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED)          # the one thread pool: oneDNN in Debian runs on GNU OpenMP too
find_package(dnnl REQUIRED)
find_package(hwy REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(CURL REQUIRED)
find_package(JPEG REQUIRED)
find_package(PNG REQUIRED)
find_package(Freetype REQUIRED)   # text in the pictures the library draws (attention heads, confusion matrices)
find_package(GIF REQUIRED)
find_package(TIFF REQUIRED)
find_package(ZLIB REQUIRED)
find_package(OpenSSL REQUIRED)       # SHA-256 of downloaded blobs
find_package(PkgConfig REQUIRED)
pkg_check_modules(WEBP REQUIRED IMPORTED_TARGET libwebp libwebpdemux)
pkg_check_modules(OPENJPEG REQUIRED IMPORTED_TARGET libopenjp2)  # JPEG 2000, as Pillow reads it
pkg_check_modules(HEIF REQUIRED IMPORTED_TARGET libheif)  # HEIF/HEIC and AVIF
pkg_check_modules(LCMS2 REQUIRED IMPORTED_TARGET lcms2)  # CIELab TIFF to RGB, as Pillow's ImageCms
pkg_check_modules(HWY_CONTRIB REQUIRED IMPORTED_TARGET libhwy-contrib)
find_package(Boost 1.74 REQUIRED)   # Beast and Asio (header-only): the HTTP/1.1 layer of `vit serve`
if(VIT_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(VIT_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
