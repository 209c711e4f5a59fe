//! `emulator [--port N]`: the embedded issuer and backend as a standalone server.

use super::args::EmulatorArgs;
use super::output::{errln, outln};
use emulator::{Emulator, EmulatorOptions};
use std::process::ExitCode;

/// Starts the emulator, prints its URLs and serves until killed.
pub fn run(args: EmulatorArgs) -> ExitCode {
    let options = EmulatorOptions {
        port: args.port,
        ..EmulatorOptions::default()
    };
    let emulator = match Emulator::start_with(options) {
        Ok(emulator) => emulator,
        Err(error) => {
            errln!("error: could not start the emulator: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    outln!("issuer:  {}", emulator.issuer_url());
    outln!("backend: {}", emulator.backend_url());
    outln!(
        "Sign in with ChatGPT issuer: {}",
        emulator.siwc_issuer_url()
    );
    outln!("Sign in with ChatGPT API:    {}", emulator.siwc_api_url());
    outln!(
        "Point the other commands at it with\n  export {}={} {}={} \\\n    {}={} {}={}",
        crate::args::ENV_AUTH_URL,
        emulator.issuer_url(),
        crate::args::ENV_BACKEND_URL,
        emulator.backend_url(),
        crate::args::ENV_SIWC_AUTH_URL,
        emulator.siwc_issuer_url(),
        crate::args::ENV_SIWC_API_URL,
        emulator.siwc_api_url()
    );
    match emulator.serve_forever() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            errln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
