# What `cmake --install` puts under the prefix: the tool (bin/vit), the headers (include/vit), two
# shared libraries with a CMake package (find_package(vit): vit::vit, vit::adapt) and pkg-config files
# (vit, vit-adapt).
#   libvit.so        the inference API: model, images, hub, npy (the layers up to src/api)
#   libvit_adapt.so  probes, embedding indexes, dedup (src/adapt, with FAISS and BLAS), over libvit.so
# Each is made of its layers' objects and exports only include/vit/'s API (package/exports.map), so a
# program links one library and oneDNN, Highway, the codecs, FAISS and BLAS stay private: embedding
# images loads no FAISS or BLAS. The tool and the tests link the static layers themselves.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(VIT_PACKAGE_DIR ${CMAKE_CURRENT_LIST_DIR}/package)
# 0.x: a minor version may change the ABI, so it is part of the SONAME (libvit.so.0.1).
set(VIT_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})

# vit_shared_library(TARGET NAME EXPORT_NAME LAYERS ... [OVER LIBRARY]): a shared library lib<NAME>.so
# of the layers' objects, linked after LIBRARY (so that the public API resolves to it) and then the
# layers themselves, which bring in what they depend on.
function(vit_shared_library target name export_name)
  cmake_parse_arguments(ARG "" "OVER" "LAYERS" ${ARGN})
  set(objects)
  foreach(layer ${ARG_LAYERS})
    list(APPEND objects $<TARGET_OBJECTS:${layer}>)
  endforeach()
  add_library(${target} SHARED ${objects})
  target_link_libraries(${target} PUBLIC ${ARG_OVER} PRIVATE ${ARG_LAYERS})
  target_link_options(${target} PRIVATE -Wl,--version-script=${VIT_PACKAGE_DIR}/exports.map)
  if(NOT VIT_SANITIZE)  # sanitizer runtimes are linked into executables only
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  target_include_directories(${target} INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                                                 $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${target} INTERFACE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${name} EXPORT_NAME ${export_name}
    VERSION ${PROJECT_VERSION} SOVERSION ${VIT_SOVERSION}
    LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib
    INSTALL_RPATH "$ORIGIN"
    LINK_DEPENDS ${VIT_PACKAGE_DIR}/exports.map)
endfunction()

vit_shared_library(vit_shared vit vit LAYERS vit_core vit_io vit_image vit_kernels vit_model vit_hub vit_api)
# Of the inference layers' internals, only what adapt calls (io's safetensors and JSON readers) is
# copied in from their archives.
vit_shared_library(vit_adapt_shared vit_adapt adapt LAYERS vit_adapt OVER vit_shared)

# `cmake --build build --target installed` builds what `cmake --install` takes, and nothing else.
add_custom_target(installed DEPENDS vit vit_shared vit_adapt_shared)
install(TARGETS vit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS vit_shared vit_adapt_shared EXPORT vitTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

set(cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/vit)
install(EXPORT vitTargets NAMESPACE vit:: DESTINATION ${cmake_dir})
configure_package_config_file(${VIT_PACKAGE_DIR}/vitConfig.cmake.in ${PROJECT_BINARY_DIR}/package/vitConfig.cmake
                              INSTALL_DESTINATION ${cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/vitConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/vitConfig.cmake ${PROJECT_BINARY_DIR}/package/vitConfigVersion.cmake
        DESTINATION ${cmake_dir})

# pkg-config files that find the prefix from where they lie, since `cmake --install --prefix` may
# choose it after configuring.
set(pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE ${CMAKE_INSTALL_LIBDIR} OR IS_ABSOLUTE ${CMAKE_INSTALL_INCLUDEDIR})
  set(VIT_PC_PREFIX ${CMAKE_INSTALL_PREFIX})
  set(VIT_PC_LIBDIR ${CMAKE_INSTALL_FULL_LIBDIR})
  set(VIT_PC_INCLUDEDIR ${CMAKE_INSTALL_FULL_INCLUDEDIR})
else()
  file(RELATIVE_PATH up /prefix/${pc_dir} /prefix)
  string(REGEX REPLACE "/$" "" up "${up}")  # ../.. or ../../..
  set(VIT_PC_PREFIX "\${pcfiledir}/${up}")
  set(VIT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(VIT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
foreach(pc vit vit-adapt)
  configure_file(${VIT_PACKAGE_DIR}/${pc}.pc.in ${PROJECT_BINARY_DIR}/package/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/package/${pc}.pc DESTINATION ${pc_dir})
endforeach()
