# Unit tests: Install-WslPortProxy (Public/Install-WslPortProxy.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
    $script:Bundle = Get-UnitBundle
    $script:Settings = Join-Path $script:Bundle 'WslPortProxy.Settings.psd1'
}

Describe 'Install-WslPortProxy' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Install-WslPortProxy refuses: <Case>' -ForEach @(
        @{ Case = 'no bundle folder for a settings table'; Scene = {}; Arguments = @{ Settings = 'table' }; Id = 'NoBundlePath'; Code = 1 }
        @{ Case = 'not elevated'; Scene = { Write-SimState 'whoami.json' @{ elevated = $false } }; Arguments = @{}; Id = 'NotElevated'; Code = 2 }
        @{ Case = 'another computer'; Scene = { $env:COMPUTERNAME = 'DB-02' }; Arguments = @{}; Id = 'WrongComputer'; Code = 3 }
    ) {
        & $Scene
        $splat = @{ Settings = $script:Settings; Credential = (New-UnitCredential) }
        if ($Arguments.ContainsKey('Settings')) { $splat.Settings = New-TestSettings }
        $caught = $null
        try { Install-WslPortProxy @splat } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be "WslPortProxy.$Id,Install-WslPortProxy"
        $caught.Exception.Data['WslPortProxyExitCode'] | Should -Be $Code
        (Read-SimState 'tasks.json').Count | Should -Be 0
    }

    It 'Install-WslPortProxy installs and reports the first run; -WhatIf does nothing' {
        $whatIf = Install-WslPortProxy -Settings $script:Settings -Credential (New-UnitCredential) -WhatIf
        $whatIf.FirstRun | Should -BeNullOrEmpty
        (Read-SimState 'tasks.json').Count | Should -Be 0
        InModuleScope WslPortProxy -Parameters @{ Settings = $script:Settings } {
            param($Settings)
            Mock Start-FirstRun { [pscustomobject]@{ Started = $true; ExitCode = 0; Message = 'Applied: 2 rule(s) written, 0 removed.' } }
            $result = Install-WslPortProxy -Settings $Settings -Credential (New-UnitCredential)
            $result.PSObject.TypeNames | Should -Contain 'WslPortProxy.InstallResult'
            $result.FirstRun | Should -BeLike 'First reconcile succeeded: Applied: 2 rule(s) written, 0 removed. The task keeps watching. Log: *'
            Should -Invoke Start-FirstRun -ParameterFilter { $LogonAccount -eq '' }   # a boot task
            Mock Start-FirstRun { [pscustomobject]@{ Started = $true; ExitCode = 4; Message = 'no address' } }
            { Install-WslPortProxy -Settings $Settings -Credential (New-UnitCredential) } | Should -Throw -ErrorId 'WslPortProxy.FirstRunFailed,Install-WslPortProxy'
        }
    }

    It 'Install-WslPortProxy, for a logon task whose account is not logged on: warns that it starts at the next logon, says so in FirstRun and records the manifest' {
        $dist = New-TestBundle -Inventory "servers:`n  - {name: WEB-01, run_as: 'CORP\svc-podman', start: logon, ports: [80]}`n"
        $settings = Join-Path $dist 'WEB-01/WslPortProxy.Settings.psd1'
        InModuleScope WslPortProxy -Parameters @{ Settings = $settings } {
            param($Settings)
            Mock Start-FirstRun { [pscustomobject]@{ Started = $false; ExitCode = $null; Message = 'CORP\svc-podman is not logged on to this server' } }
            $result = Install-WslPortProxy -Settings $Settings -WarningVariable warnings -WarningAction SilentlyContinue
            $result.FirstRun | Should -BeLike "Installed, not run yet: CORP\svc-podman is not logged on to this server (at the console or over Remote Desktop), and a logon task runs only in its account's session. The task starts at CORP\svc-podman's next logon; its log: *Update-WslPortProxy.log"
            @($warnings | ForEach-Object { "$_" }) | Should -Contain $result.FirstRun
            Should -Invoke Start-FirstRun -Times 1 -Exactly -ParameterFilter { $LogonAccount -eq 'CORP\svc-podman' }
        }
        Test-Path -LiteralPath (Join-Path $global:WslppSim.ProgramData 'WslPortProxy/manifest.json') | Should -BeTrue
    }
}
