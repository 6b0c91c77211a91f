<#
    A simulated Windows for running the generated scripts, unmodified, on any OS.

    Dot-source it in BeforeAll (and ../TestHelpers.ps1 after it for the tests' own helpers). Every
    function is global, like the cmdlets it stands in for: the WslPortProxy module runs in its own
    session state and sees global commands only. This file only loads the simulation's parts, one
    per subsystem, each holding its stand-ins, its scene helpers and the sources they follow, which
    docs/windows-facts.md (the fidelity table) lists:
      State.ps1       the state folder (JSON files shared with the fakes), calls.log, snapshots
      Computer.ps1    New-SimulatedWindows, Remove-SimulatedWindows: folders, environment, programs, PATH
      Registry.ps1    HKLM values and the portproxy keys (Get-ItemProperty, Get-Item)
      Services.ps1    Get-Service, Set-Service, Start-Service, Get-CimInstance
      Sessions.ps1    logon sessions (Win32_LogonSession, Win32_LoggedOnUser), session 0
      Firewall.ps1    the NetSecurity cmdlets and the firewall profiles
      Network.ps1     listeners (Get-NetTCPConnection), WSL's localhost relay, bind rules, addresses
      Security.ps1    owners and DACLs of files and folders (Get-Acl)
      PowerShell.ps1  execution policy, signatures, Unblock-File, module autoloading, Get-Credential
      Tasks.ps1       Task Scheduler (the ScheduledTasks cmdlets, the Schedule.Service COM object)
      Processes.ps1   a task's run in the background, an entry script in its own process, Get-Process
      EventLog.ps1    the Application event log
      Wsl.ps1         scenes of WSL and Podman over the fake programs' state
    Three stand-ins shadow commands that exist on every OS, for every caller once this file is loaded:
    New-Object (Tasks.ps1: answers -ComObject Schedule.Service, passes everything else on),
    Get-CimInstance (Services.ps1: Win32_Service, Win32_OperatingSystem's boot time, and the
    logon-session classes of Sessions.ps1) and, with SimulatedFleet.ps1, Copy-Item (-ToSession
    only; else the real one).
    The fake programs (wsl.exe, netsh.exe, podman.exe, whoami.exe, icacls.exe, taskkill.exe) are
    fakewin.py; SimulatedFleet.ps1 adds several servers and PowerShell remoting; Start-SimEntry.ps1
    and Invoke-SimRemote.ps1 load this file in a process of their own.
#>

Set-StrictMode -Version Latest

. (Join-Path $PSScriptRoot 'State.ps1')
. (Join-Path $PSScriptRoot 'Computer.ps1')
. (Join-Path $PSScriptRoot 'Registry.ps1')
. (Join-Path $PSScriptRoot 'Services.ps1')
. (Join-Path $PSScriptRoot 'Sessions.ps1')
. (Join-Path $PSScriptRoot 'Firewall.ps1')
. (Join-Path $PSScriptRoot 'Network.ps1')
. (Join-Path $PSScriptRoot 'Security.ps1')
. (Join-Path $PSScriptRoot 'PowerShell.ps1')
. (Join-Path $PSScriptRoot 'Tasks.ps1')
. (Join-Path $PSScriptRoot 'Processes.ps1')
. (Join-Path $PSScriptRoot 'EventLog.ps1')
. (Join-Path $PSScriptRoot 'Wsl.ps1')
