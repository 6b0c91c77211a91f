# Unit tests: Update-WslPortProxy (Public/Update-WslPortProxy.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
    $script:Bundle = Get-UnitBundle
    $script:Settings = Join-Path $script:Bundle 'WslPortProxy.Settings.psd1'
}

Describe 'Update-WslPortProxy' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Update-WslPortProxy reconciles once and returns a RunResult; -WhatIf writes no log' {
        $result = Update-WslPortProxy -Settings $script:Settings
        $result.Message | Should -Be 'Applied: 2 rule(s) written, 0 removed.'
        $logs = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/logs/Update-WslPortProxy.log'
        $before = (Get-Content -LiteralPath $logs).Count
        (Update-WslPortProxy -Settings $script:Settings -WhatIf).Message | Should -Be 'No change: every rule is already right.'
        (Get-Content -LiteralPath $logs).Count | Should -Be $before
        (Update-WslPortProxy -Settings $script:Settings -Remove).Removed | Should -Be 2
    }

    It 'Update-WslPortProxy -Remove works without wsl.exe' {
        Remove-SimWsl
        (Update-WslPortProxy -Settings $script:Settings -Remove -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } |
                ForEach-Object { "$_" }) | Should -Contain ("No wsl.exe, so no keep-alive to stop: wsl.exe was not found (looked in " +
                "$(Join-Path (Join-Path $env:ProgramFiles 'WSL') 'wsl.exe') and $(Join-Path (Join-Path $env:SystemRoot 'System32') 'wsl.exe')). Install WSL 2.0 or later for all users.")
    }

    It 'Update-WslPortProxy fails with an ErrorId and the exit code in the exception' {
        Set-SimWsl @{ 'Ubuntu' = @{ ip = '172.28.1.1' } }
        $caught = $null
        try { Update-WslPortProxy -Settings $script:Settings } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'WslPortProxy.DistroNotFound,Update-WslPortProxy'
        $caught.Exception.Data['WslPortProxyExitCode'] | Should -Be 3
    }

    It 'Update-WslPortProxy -Watch runs the watcher' {
        InModuleScope WslPortProxy {
            Mock Invoke-Watch { }
            Update-WslPortProxy -Settings (New-TestSettings) -Watch | Should -BeNullOrEmpty
            Should -Invoke Invoke-Watch -Times 1 -Exactly
        }
    }
}
